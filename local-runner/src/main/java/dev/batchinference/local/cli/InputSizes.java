package dev.batchinference.local.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as a user writes them for {@code plan --scale-to}: a number and KB, MB, GB or TB, in powers of 1,000. */
final class InputSizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(B|KB|MB|GB|TB)");

    private InputSizes() {
    }

    static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new PipelineCli.UsageException("--scale-to takes sizes such as 500MB, 1GB, 100GB or 1TB, not '" + text + "'");
        }
        double unit = switch (m.group(2)) {
            case "KB" -> 1e3;
            case "MB" -> 1e6;
            case "GB" -> 1e9;
            case "TB" -> 1e12;
            default -> 1;
        };
        double bytes = Double.parseDouble(m.group(1)) * unit;
        if (bytes < 1 || bytes > 1e15) {
            throw new PipelineCli.UsageException("--scale-to takes sizes from 1 B to 1,000 TB, not '" + text + "'");
        }
        return Math.round(bytes);
    }
}
