/*
 * RegexProbe: what java.util.regex says about resource-name patterns, in batch.
 *
 * Druid's basic-security authorizer compiles a permission's resource name with
 * Pattern.compile(name) and grants when pattern.matcher(resource).matches(). This probe asks the
 * same two questions of the JVM it runs on, for many patterns in one process:
 *
 *   stdin, one case a line:   PATTERN \t NAME \t NAME ...
 *   stdout, one line a case:  ok \t M M ...      (M is 1 match, 0 no match, E an exception)
 *                        or:  invalid \t DESCRIPTION   (a PatternSyntaxException: Druid refuses)
 *                        or:  error \t EXCEPTION       (anything else Pattern.compile threw)
 *   first line of stdout:     #java VERSION
 *
 * Answers are flushed whenever no more input is waiting, so a caller may also ask one case at
 * a time over the same process.
 * Every field is escaped the same way both ways: backslash as \\, and \t \n \r; any other
 * character outside printable ASCII as \\uXXXX (UTF-16 units, so a supplementary character is
 * two escapes, as in JSON). No dependencies: javac RegexProbe.java && java RegexProbe < cases.
 */
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

public final class RegexProbe {
    private RegexProbe() {}

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new BufferedWriter(
                new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16));
        out.println("#java " + System.getProperty("java.version"));
        out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            out.println(probe(line.split("\t", -1)));
            if (!in.ready()) {
                out.flush(); // answer now: the caller may wait for it before asking more
            }
        }
        out.flush();
    }

    private static String probe(String[] fields) {
        Pattern pattern;
        try {
            pattern = Pattern.compile(unescape(fields[0]));
        } catch (PatternSyntaxException e) {
            return "invalid\t" + escape(e.getDescription());
        } catch (RuntimeException | StackOverflowError e) {
            return "error\t" + escape(e.toString());
        }
        StringBuilder answer = new StringBuilder("ok\t");
        for (int i = 1; i < fields.length; i++) {
            if (i > 1) {
                answer.append(' ');
            }
            answer.append(matches(pattern, unescape(fields[i])));
        }
        return answer.toString();
    }

    private static char matches(Pattern pattern, String name) {
        try {
            return pattern.matcher(name).matches() ? '1' : '0';
        } catch (RuntimeException | StackOverflowError e) {
            return 'E';
        }
    }

    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char kind = field.charAt(++i);
            switch (kind) {
                case 't' -> out.append('\t');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 'u' -> {
                    out.append((char) Integer.parseInt(field.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(kind);
            }
        }
        return out.toString();
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        out.append(c);
                    } else {
                        out.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
        }
        return out.toString();
    }
}
