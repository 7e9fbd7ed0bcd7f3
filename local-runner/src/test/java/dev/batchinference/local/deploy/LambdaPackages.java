package dev.batchinference.local.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The Lambda packages as {@code sam build} assembles them, read from {@code sam/Makefile}: which Maven
 * output each template resource gets, and how (a function's jar goes to {@code lib/}, a layer's zip is
 * unpacked). Tests install them the same way and measure what would be uploaded.
 */
final class LambdaPackages {
    private static final Pattern TARGET = Pattern.compile(
            "^build-(\\w+): \\$\\(ROOT\\)/(\\S+)\\R\\t\\$\\(call install_(function|layer),\\$<\\)", Pattern.MULTILINE);

    enum Kind { FUNCTION, LAYER }

    /** What one template resource is built from. */
    record LambdaPackage(String logicalId, Path source, Kind kind) {

        /** The Maven output this resource is built from; fails with a hint when it has not been built. */
        Path built() {
            if (!Files.isRegularFile(source)) {
                throw new AssertionError(source + " is missing: build the Lambda packages first"
                        + " (./mvnw package, or mvn install -DskipTests before running these tests alone)");
            }
            return source;
        }

        /** Lays the package out in {@code dir} as sam/Makefile does in SAM's ARTIFACTS_DIR. */
        Path install(Path dir) {
            try {
                if (kind == Kind.FUNCTION) {
                    Files.createDirectories(dir.resolve("lib"));
                    Files.copy(built(), dir.resolve("lib").resolve(source.getFileName()));
                } else {
                    unzip(built(), dir);
                }
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Sizes of an installed package: the zip SAM uploads, and what Lambda unpacks. */
    record Size(long zipped, long unzipped) {
        Size plus(Size other) {
            return new Size(zipped + other.zipped, unzipped + other.unzipped);
        }
    }

    private final Map<String, LambdaPackage> packages;

    private LambdaPackages(Map<String, LambdaPackage> packages) {
        this.packages = packages;
    }

    static LambdaPackages fromMakefile() {
        Path root = Repository.root();
        String makefile;
        try {
            makefile = Files.readString(root.resolve("sam/Makefile"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, LambdaPackage> found = new LinkedHashMap<>();
        Matcher m = TARGET.matcher(makefile);
        while (m.find()) {
            Path source = root.resolve(m.group(2).replace("$(LAMBDA)", "target/lambda"));
            found.put(m.group(1), new LambdaPackage(m.group(1), source, Kind.valueOf(m.group(3).toUpperCase())));
        }
        return new LambdaPackages(found);
    }

    Map<String, LambdaPackage> all() {
        return packages;
    }

    LambdaPackage of(String logicalId) {
        LambdaPackage p = packages.get(logicalId);
        if (p == null) {
            throw new AssertionError("sam/Makefile has no target build-" + logicalId);
        }
        return p;
    }

    /** Installs the package in a temporary directory and zips it as SAM does before uploading. */
    static Size measure(LambdaPackage lambdaPackage, Path scratch) throws IOException {
        Path dir = lambdaPackage.install(Files.createTempDirectory(scratch, lambdaPackage.logicalId()));
        Path zip = scratch.resolve(lambdaPackage.logicalId() + ".zip");
        long unzipped = 0;
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip));
             Stream<Path> files = Files.walk(dir)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new ZipEntry(dir.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, out);
                out.closeEntry();
                unzipped += Files.size(file);
            }
        }
        return new Size(Files.size(zip), unzipped);
    }

    static void unzip(Path zip, Path dir) throws IOException {
        try (ZipFile file = new ZipFile(zip.toFile())) {
            for (Enumeration<? extends ZipEntry> entries = file.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                Path target = dir.resolve(entry.getName()).normalize();
                if (!target.startsWith(dir)) {
                    throw new IOException("entry outside the archive's directory: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = file.getInputStream(entry); OutputStream out = Files.newOutputStream(target)) {
                    in.transferTo(out);
                }
            }
        }
    }
}
