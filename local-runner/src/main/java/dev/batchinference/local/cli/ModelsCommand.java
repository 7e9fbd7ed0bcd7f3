package dev.batchinference.local.cli;

import dev.batchinference.model.ModelManifest;
import dev.batchinference.model.ModelPointer;
import dev.batchinference.model.ModelRef;
import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxGraph;
import dev.batchinference.model.OnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The model store in the bucket: what is there, a new version, which version is current. */
@Command(name = "models", mixinStandardHelpOptions = true, description = "List, publish and promote models in the bucket.",
        subcommands = {ModelsCommand.ListModels.class, ModelsCommand.Publish.class, ModelsCommand.Promote.class})
final class ModelsCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.err);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every model, its versions, and the current one.")
    static final class ListModels implements Callable<Integer> {
        @Mixin
        TargetOptions target;

        @Override
        public Integer call() {
            TargetOptions.Target t = target.connect();
            ModelStore models = t.services().models();
            List<String> names = models.names();
            if (names.isEmpty()) {
                System.out.println("no models in bucket " + t.bucket() + " at " + t.description());
                return 0;
            }
            System.out.printf("%-16s  %-10s  %-7s  %-8s  %-8s  %s%n", "MODEL", "VERSION", "CURRENT", "FEATURES", "CLASSES", "CREATED");
            for (String name : names) {
                Optional<String> current = models.current(name).map(ModelPointer::version);
                for (String version : models.versions(name)) {
                    ModelManifest m = models.manifest(name, version);
                    System.out.printf("%-16s  %-10s  %-7s  %-8d  %-8d  %s%n", name, version,
                            current.filter(version::equals).isPresent() ? "*" : "", m.features().size(), m.labels().size(),
                            m.createdAt() == null ? "" : m.createdAt());
                }
                if (current.isPresent() && !models.versions(name).contains(current.get())) {
                    System.out.printf("%-16s  %-10s  *        (current.json names a version that has no manifest)%n",
                            name, current.get());
                }
            }
            return 0;
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = "Upload a model version: FILE is a model folder (manifest.json and its ONNX file) or an .onnx"
                    + " file, whose manifest is written from the graph and --features/--labels. Not made current"
                    + " unless --promote.")
    static final class Publish implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "the model's name (incoming/NAME/... uses it)")
        String name;

        @Parameters(index = "1", paramLabel = "FILE", description = "an .onnx file or a model folder")
        Path file;

        @Option(names = "--version", paramLabel = "V", description = "the version (default: one more than the highest number published)")
        String version;

        @Option(names = "--features", split = ",", paramLabel = "COL", description = "input columns in tensor order")
        List<String> features;

        @Option(names = "--labels", split = ",", paramLabel = "CLASS", description = "class names in output order (default: 0, 1, ...)")
        List<String> labels;

        @Option(names = "--promote", description = "make it the current version too")
        boolean promote;

        @Mixin
        TargetOptions target;

        @Override
        public Integer call() {
            if (!Files.exists(file)) {
                throw new PipelineCli.UsageException("no such file or folder: " + file);
            }
            requireValid("model name", name);
            if (version != null) {
                requireValid("version", version);
            }
            TargetOptions.Target t = target.connect();
            ModelStore models = t.services().models();
            String v = version != null ? version : nextVersion(models.versions(name));
            Path onnx;
            ModelManifest manifest;
            if (Files.isDirectory(file)) {
                ModelStore.LocalModel local = ModelStore.readLocal(file);
                onnx = local.onnxFile();
                ModelManifest m = local.manifest();
                manifest = new ModelManifest(name, v, m.framework(), m.files(), m.input(),
                        features != null ? features : m.features(), m.outputs(), labels != null ? labels : m.labels(),
                        Instant.now().toString()).validated();
            } else {
                onnx = file;
                manifest = OnnxGraph.read(file).manifest(name, v, file, features, labels, Instant.now());
            }
            // the graph must agree with the manifest before anyone's job meets the disagreement
            OnnxModel.load(onnx, manifest).close();
            if (models.versions(name).contains(v)) {
                throw new PipelineCli.UsageException("model " + name + " already has a version " + v
                        + "; versions are immutable (jobs pin them): choose another --version");
            }
            ModelRef ref = models.publish(onnx, manifest);
            System.out.printf("published %s v%s (sha256 %s, %d features, %d classes) to %s%n", ref.name(), ref.version(),
                    ref.sha256().substring(0, 12), manifest.features().size(), manifest.labels().size(), t.description());
            if (promote) {
                models.promote(ref);
                System.out.printf("%s v%s is current%n", ref.name(), ref.version());
            } else {
                System.out.printf("make it current with: ./pipeline models promote %s %s%n", ref.name(), ref.version());
            }
            return 0;
        }

        static String nextVersion(List<String> versions) {
            return Long.toString(versions.stream().filter(v -> v.matches("\\d{1,18}")).mapToLong(Long::parseLong).max()
                    .orElse(0) + 1);
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Make a published version current (one atomic write of current.json); running jobs keep theirs.")
    static final class Promote implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "VERSION")
        String version;

        @Mixin
        TargetOptions target;

        @Override
        public Integer call() {
            requireValid("model name", name);
            requireValid("version", version);
            TargetOptions.Target t = target.connect();
            ModelStore models = t.services().models();
            Optional<String> before = models.current(name).map(ModelPointer::version);
            ModelRef ref = models.promote(name, version);
            System.out.printf("%s v%s is current (was %s); new jobs pin it%n", ref.name(), ref.version(),
                    before.map(b -> "v" + b).orElse("none"));
            return 0;
        }
    }

    /** Names and versions become parts of keys under models/: anything else is refused before any request. */
    static void requireValid(String what, String value) {
        String problem = dev.batchinference.model.ModelNames.problemWith(what, value);
        if (problem != null) {
            throw new PipelineCli.UsageException(problem);
        }
    }
}
