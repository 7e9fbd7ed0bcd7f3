package dev.batchinference.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line a process builds: only the command it is asked for, or every command for the usage and mistakes. */
class PipelineCliTest {

    @Test
    void aCommandLineNamingACommandBuildsThatCommandOnly() {
        CommandLine cli = PipelineCli.commandLine("predict", "in.csv", "--model", "iris", "--out", "out.csv");

        assertThat(cli.getSubcommands().keySet()).containsExactly("predict");
        assertThat((Object) cli.getSubcommands().get("predict").getCommand()).isInstanceOf(PredictCommand.class);
    }

    @Test
    void withoutAKnownCommandEveryCommandIsThereInTheUsagesOrder() {
        String[] all = {"run", "plan", "predict", "serve", "submit", "status", "redrive", "sweep", "models", "bench"};

        assertThat(PipelineCli.commandLine().getSubcommands().keySet()).containsExactly(all);
        assertThat(PipelineCli.commandLine("--help").getSubcommands().keySet()).containsExactly(all);
        assertThat(PipelineCli.commandLine("nonsense").getSubcommands().keySet()).containsExactly(all);
    }

    @Test
    void eachCommandIsListedUnderTheNameItAnswersTo() {
        PipelineCli.COMMANDS.forEach((name, type) ->
                assertThat(new CommandLine(type).getCommandName()).as(type.getSimpleName()).isEqualTo(name));
    }
}
