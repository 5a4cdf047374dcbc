/*
 * UnicodeNames: the JVM's Unicode name tables that decide whether a pattern compiles.
 *
 * java.util.regex accepts \p{IsLatin}, \p{InGreek}, \p{script=..}, \p{block=..} and \N{NAME} only
 * for names the JVM knows; conformance/oracle/permissions.py keeps a copy of these tables (Java
 * 17's) to answer "does Druid accept this permission?" without a JVM. This prints that copy as
 * Python source; tests/java/regenerate_unicode_names.py runs it and writes it over the block
 * between the "java-unicode-names" markers there, and tests/test_java_regex.py compares:
 *
 *   javac UnicodeNames.java
 *   java --add-opens java.base/java.lang=ALL-UNNAMED UnicodeNames < python-names.tsv
 *
 * (--add-opens: the block aliases live in a private map of Character.UnicodeBlock.) stdin holds
 * the character names Python's unicodedata knows, "HEX<tab>NAME" a line.
 *
 * Shapes printed: _JAVA_SCRIPTS, Character.UnicodeScript constants and their 4-letter aliases,
 * space-separated; _JAVA_BLOCKS, one entry per block separated by ";", "ID" or "ID=NAME=NAME"
 * where each NAME is a spelled-out alias (its form without spaces is an alias too, and with no
 * "=" the one NAME is ID with "_" as " "); _JAVA_CONTROL_NAMES, Character.getName of U+0000..001F
 * and U+007F..009F separated by ";" (empty where the JVM has no name of its own);
 * _JAVA_BLOCK_FORM_NAMES, "ID=LOW-HIGH" hex ranges separated by ";" of the characters whose name
 * is "<ID with spaces> <HEX>" (no name of their own: CJK, Hangul, private use...);
 * _JAVA_LACKS_NAMES, "LOW-HIGH" hex ranges separated by " " of the characters whose stdin name
 * Character.codePointOf does not take (names newer than the JVM's Unicode, algorithmic ones).
 */
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

public final class UnicodeNames {
    private UnicodeNames() {}

    public static void main(String[] args) throws ReflectiveOperationException, IOException {
        System.out.println("# java " + System.getProperty("java.version"));
        List<String> scripts = new ArrayList<>();
        for (Character.UnicodeScript script : Character.UnicodeScript.values()) {
            scripts.add(script.name());
        }
        scripts.addAll(new TreeSet<>(privateMap(Character.UnicodeScript.class, "aliases").keySet()));
        print("_JAVA_SCRIPTS", scripts, " ");
        print("_JAVA_BLOCKS", blocks(), ";");
        List<String> controls = new ArrayList<>();
        for (int cp = 0; cp < 0xa0; cp = cp == 0x1f ? 0x7f : cp + 1) {
            String name = Character.getName(cp);
            String blockForm = Character.UnicodeBlock.of(cp).toString().replace('_', ' ') + " "
                    + Integer.toHexString(cp).toUpperCase();
            controls.add(name.equals(blockForm) ? "" : name);
        }
        print("_JAVA_CONTROL_NAMES", controls, ";");
        print("_JAVA_BLOCK_FORM_NAMES", blockFormNames(), ";");
        print("_JAVA_LACKS_NAMES", lacking(), " ");
    }

    private static String blockForm(int cp) {
        Character.UnicodeBlock block = Character.UnicodeBlock.of(cp);
        return block == null ? "" : block.toString().replace('_', ' ') + " "
                + Integer.toHexString(cp).toUpperCase();
    }

    private static List<String> blockFormNames() {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int cp = 0; cp <= Character.MAX_CODE_POINT + 1; cp++) {
            boolean named = cp <= Character.MAX_CODE_POINT
                    && blockForm(cp).equals(Character.getName(cp))
                    && (start < 0 || Character.UnicodeBlock.of(cp) == Character.UnicodeBlock.of(start));
            if (named && start < 0) {
                start = cp;
            } else if (!named && start >= 0) {
                out.add(Character.UnicodeBlock.of(start) + "=" + hexRange(start, cp - 1));
                start = -1;
                cp--; // this one may start the next block's range
            }
        }
        return out;
    }

    private static List<String> lacking() throws IOException {
        List<String> out = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int start = -1;
        int last = -2;
        String line;
        while ((line = in.readLine()) != null) {
            String[] fields = line.split("\t");
            int cp = Integer.parseInt(fields[0], 16);
            boolean known;
            try {
                known = Character.codePointOf(fields[1]) == cp;
            } catch (IllegalArgumentException e) {
                known = false;
            }
            if (known) {
                continue;
            }
            if (cp != last + 1 && start >= 0) {
                out.add(hexRange(start, last));
                start = -1;
            }
            if (start < 0) {
                start = cp;
            }
            last = cp;
        }
        if (start >= 0) {
            out.add(hexRange(start, last));
        }
        return out;
    }

    private static String hexRange(int low, int high) {
        return Integer.toHexString(low).toUpperCase() + "-" + Integer.toHexString(high).toUpperCase();
    }

    private static List<String> blocks() throws ReflectiveOperationException {
        Map<Object, Set<String>> keys = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        for (Map.Entry<String, ?> entry : privateMap(Character.UnicodeBlock.class, "map").entrySet()) {
            keys.computeIfAbsent(entry.getValue(), k -> new TreeSet<>()).add(entry.getKey());
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<Object, Set<String>> entry : keys.entrySet()) {
            String id = entry.getKey().toString();
            Set<String> spaced = new TreeSet<>();
            Set<String> others = new TreeSet<>();
            for (String key : entry.getValue()) {
                if (key.contains(" ")) {
                    spaced.add(key);
                } else if (!key.equals(id)) {
                    others.add(key);
                }
            }
            for (String key : spaced) {
                others.remove(key.replace(" ", ""));
            }
            spaced.addAll(others);
            String encoded = id;
            if (!expandEntry(encoded).equals(entry.getValue())) {
                encoded = id + "=" + String.join("=", spaced);
            }
            if (!expandEntry(encoded).equals(entry.getValue())) {
                throw new IllegalStateException("cannot encode " + id + " " + entry.getValue());
            }
            out.add(encoded);
        }
        return out;
    }

    private static Set<String> expand(String name) {
        return new HashSet<>(List.of(name, name.replace(" ", "")));
    }

    /** The keys an encoded entry stands for: ID, each NAME and NAME without spaces. */
    private static Set<String> expandEntry(String encoded) {
        String[] parts = encoded.split("=", -1);
        Set<String> keys = new TreeSet<>();
        keys.add(parts[0]);
        if (parts.length == 1) {
            keys.addAll(expand(parts[0].replace('_', ' ')));
        }
        for (int i = 1; i < parts.length; i++) {
            if (!parts[i].isEmpty()) {
                keys.addAll(expand(parts[i]));
            }
        }
        return keys;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> privateMap(Class<?> owner, String field)
            throws ReflectiveOperationException {
        Field f = owner.getDeclaredField(field);
        f.setAccessible(true);
        return (Map<String, ?>) f.get(null);
    }

    private static void print(String name, List<String> words, String separator) {
        System.out.println(name + " = (");
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i) + (i + 1 < words.size() ? separator : "");
            while (line.length() + word.length() > 88) { // a long word goes on in the next string
                int room = line.length() == 0 ? 88 : 0;
                line.append(word, 0, room);
                word = word.substring(room);
                System.out.println("    \"" + line + "\"");
                line.setLength(0);
            }
            line.append(word);
        }
        System.out.println("    \"" + line + "\"");
        System.out.println(")");
    }
}
