package dev.batchinference;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The package rules of pipeline-core (docs/architecture.md draws them): no cycles, the AWS SDK only in the
 * adapters, no Lambda types at all, and each package depending only on the packages below it.
 */
@AnalyzeClasses(packages = ArchitectureIT.ROOT, importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureIT {
    static final String ROOT = "dev.batchinference";

    /**
     * What each package may use of the others; a package not named here is no layer and fails the test. The
     * order goes from the ground up. {@code format} is the ports and shared types; only {@code layout} picks
     * an implementation ({@code format.csv}, {@code format.parquet}); only {@code aws} knows the SDK, and no
     * other package knows {@code aws}.
     */
    static final Map<String, List<String>> ALLOWED = allowed();

    private static Map<String, List<String>> allowed() {
        Map<String, List<String>> allowed = new LinkedHashMap<>();
        allowed.put("failure", List.of());
        allowed.put("storage", List.of());
        allowed.put("queue", List.of());
        allowed.put("json", List.of());
        allowed.put("cost", List.of());
        allowed.put("observability", List.of("json"));
        allowed.put("model", List.of("failure", "json", "storage"));
        allowed.put("format", List.of("failure", "model"));
        allowed.put("format.csv", List.of("format", "failure", "storage"));
        allowed.put("format.parquet", List.of("format", "failure", "model", "storage"));
        allowed.put("config", List.of("cost", "format"));
        allowed.put("job", List.of("cost", "failure", "format", "json", "model", "storage"));
        allowed.put("metering", List.of("job", "queue", "storage"));
        allowed.put("layout", List.of("config", "failure", "format", "format.csv", "format.parquet", "job", "model",
                "storage"));
        allowed.put("control", List.of("failure", "format", "job", "json", "model", "queue", "storage"));
        allowed.put("inference", List.of("failure", "format", "job", "json", "layout", "metering", "model", "observability",
                "queue", "storage"));
        allowed.put("results", List.of("config", "cost", "failure", "format", "job", "json", "layout", "metering", "model",
                "storage"));
        allowed.put("ingest", List.of("config", "control", "failure", "format", "job", "json", "layout", "metering",
                "model", "queue", "storage"));
        allowed.put("aws", List.of("config", "control", "format", "ingest", "metering", "model", "queue", "storage"));
        return allowed;
    }

    @ArchTest
    static final ArchRule packagesHaveNoCycles = slices().matching(ROOT + ".(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule onlyTheAdaptersUseTheAwsSdk = noClasses().that().resideOutsideOfPackage(ROOT + ".aws..")
            .should().dependOnClassesThat().resideInAPackage("software.amazon.awssdk..")
            .because("the SDK stays at the edges, behind ObjectStore and MessageSender");

    @ArchTest
    static final ArchRule noLambdaTypesInTheCore = noClasses()
            .should().dependOnClassesThat().resideInAPackage("com.amazonaws.services.lambda..")
            .because("the handler modules turn Lambda's events into core calls");

    @ArchTest
    static final ArchRule eachPackageUsesOnlyThePackagesBelowIt = layers();

    @ArchTest
    static final ArchRule everyPackageHasItsPlaceInTheRules = noClasses()
            .should().resideOutsideOfPackages(ALLOWED.keySet().stream().map(p -> ROOT + "." + p).toArray(String[]::new))
            .because("a new package needs its line here and in docs/architecture.md");

    static ArchRule layers() {
        LayeredArchitecture layers = layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (String name : ALLOWED.keySet()) {
            layers = layers.layer(name).definedBy(ROOT + "." + name);
        }
        for (Map.Entry<String, List<String>> e : ALLOWED.entrySet()) {
            layers = e.getValue().isEmpty() ? layers.whereLayer(e.getKey()).mayNotAccessAnyLayer()
                    : layers.whereLayer(e.getKey()).mayOnlyAccessLayers(e.getValue().toArray(String[]::new));
        }
        return layers;
    }
}
