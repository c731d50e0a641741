package dev.sandbox4j.langchain4j;

import static dev.sandbox4j.langchain4j.ScriptedChatModel.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.service.tool.ToolProviderRequest;
import dev.sandbox4j.Command;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.testkit.BackendRequirement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/**
 * A sandbox setup the application got wrong (a misspelt backend, a policy the backend cannot enforce) fails
 * the provider's or engine's build with {@code verifyOnBuild()}; without it, the model gets a short text,
 * marked as failed, and the operator one log record with the core's whole diagnostic.
 */
class SetupFailureTest {
    private static final String LOGGER = "dev.sandbox4j.langchain4j";

    interface Assistant {
        Result<String> chat(@MemoryId String conversation, @UserMessage String message);
    }

    private static RuntimeException failureOf(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("expected a failure");
    }

    private static void assertLoggedOnce(LogCapture log, Level level, RuntimeException core) {
        List<LogRecord> records = log.atLeast(Level.INFO);
        assertThat(records).hasSize(1);
        LogRecord r = records.get(0);
        assertThat(r.getLevel()).isEqualTo(level);
        assertThat(r.getMessage()).contains(core.getMessage());
        assertThat(r.getThrown()).isInstanceOf(core.getClass()).hasMessage(core.getMessage());
    }

    @Test
    void aMisspeltBackendFailsTheProvidersBuildWithTheCoresMessageAndIsLogged() {
        RuntimeException core = failureOf(() -> Sandbox.builder().backend("bubblewarp").build());
        assertThat(core).isInstanceOf(InvalidInputException.class).hasMessageContaining("bubblewarp");
        try (LogCapture log = LogCapture.of(LOGGER)) {
            assertThatThrownBy(() -> SandboxToolProvider.builder()
                    .sandboxes(Sandbox.builder().backend("bubblewarp"), IsolationPolicy.strict())
                    .verifyOnBuild().build())
                    .isInstanceOf(InvalidInputException.class).hasMessage(core.getMessage());
            assertLoggedOnce(log, Level.SEVERE, core);
            assertThat(log.atLeast(Level.INFO).get(0).getMessage()).contains("SandboxToolProvider", "verifyOnBuild");
        }
    }

    @Test
    void aPolicyTheBackendCannotEnforceFailsTheBuildOfTheProviderAndTheEngine() {
        // chroot has no network namespace: strict's network=none is beyond it
        RuntimeException core = failureOf(() -> Sandbox.builder().backend("chroot").policy(IsolationPolicy.strict()).build());
        assertThat(core).isInstanceOf(UnsupportedPolicyException.class).hasMessageContaining("network");

        try (LogCapture log = LogCapture.of(LOGGER)) {
            assertThatThrownBy(() -> SandboxToolProvider.builder()
                    .sandboxFactory(id -> Sandbox.builder().backend("chroot").policy(IsolationPolicy.strict()).build())
                    .verifyOnBuild().build())
                    .isInstanceOf(UnsupportedPolicyException.class).hasMessage(core.getMessage());
            assertLoggedOnce(log, Level.SEVERE, core);
        }
        try (LogCapture log = LogCapture.of(LOGGER)) {
            assertThatThrownBy(() -> SandboxCodeExecutionEngine.builder()
                    .freshSandboxes(Sandbox.builder().backend("chroot"), IsolationPolicy.strict())
                    .verifyOnBuild().build())
                    .isInstanceOf(UnsupportedPolicyException.class).hasMessage(core.getMessage());
            assertLoggedOnce(log, Level.SEVERE, core);
        }
    }

    @Test
    void withoutTheCheckTheModelGetsAShortFailedResultAndTheOperatorOneLogRecord() {
        RuntimeException core = failureOf(() -> Sandbox.builder().backend("bubblewarp").build());
        ScriptedChatModel model = ScriptedChatModel.inOrder(List.of(
                AiMessage.from(call("a", "run_shell_command", Map.of("command", "ls"))),
                AiMessage.from(call("b", "list_directory", Map.of("path", "."))),
                AiMessage.from("The tools are unavailable.")));
        try (LogCapture log = LogCapture.of(LOGGER);
             SandboxToolProvider provider = SandboxToolProvider.builder()
                     .sandboxes(Sandbox.builder().backend("bubblewarp"), IsolationPolicy.strict()).build()) {
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(20)).toolProvider(provider).build();

            Result<String> result = assistant.chat("c", "List your files.");

            assertThat(result.content()).isEqualTo("The tools are unavailable.");
            assertThat(result.toolExecutions()).hasSize(2).allSatisfy(e -> {
                assertThat(e.hasFailed()).isTrue();
                assertThat(e.attributes()).containsEntry(ToolResultAttributes.FAILURE, "setup");
                assertThat(e.result()).isEqualTo("error: the sandbox for these tools could not be started"
                        + " (InvalidInputException): a problem of the application's setup that its operator must fix;"
                        + " the details are in the application's log. Calling again will not help; tell the user that"
                        + " the sandbox tools are unavailable.")
                        .doesNotContain("bubblewarp");
            });
            List<ToolExecutionResultMessage> sent = ScriptedChatModel.toolResultsSinceUser(model.requests.get(2).messages());
            assertThat(sent).extracting(ToolExecutionResultMessage::isError).containsExactly(true, true);
            // two calls, one record: the diagnostic is logged once, with the core's exception
            assertLoggedOnce(log, Level.SEVERE, core);
            assertThat(log.atLeast(Level.INFO).get(0).getMessage()).contains("conversation 'c'");
        }
    }

    @Test
    void theEngineWithoutTheCheckAnswersShortlyAndLogsOnce() {
        RuntimeException core = failureOf(() -> Sandbox.builder().backend("bubblewarp").build());
        try (LogCapture log = LogCapture.of(LOGGER)) {
            SandboxCodeExecutionEngine engine = SandboxCodeExecutionEngine.builder()
                    .freshSandboxes(Sandbox.builder().backend("bubblewarp"), IsolationPolicy.strict()).build();
            for (int i = 0; i < 2; i++) {
                assertThat(engine.execute("print(1)")).startsWith("the code could not be run: the sandbox for these"
                        + " tools could not be started (InvalidInputException): a problem of the application's setup")
                        .doesNotContain("bubblewarp");
            }
            assertLoggedOnce(log, Level.SEVERE, core);
            assertThat(log.atLeast(Level.INFO).get(0).getMessage()).contains("SandboxCodeExecutionEngine");
        }
    }

    @Test
    void aWorkingSetupPassesTheCheckLeavesNoSandboxOpenAndTheShellToolStatesThePolicy() {
        BackendRequirement.assumeAvailable("bubblewrap");
        AtomicReference<Sandbox> checked = new AtomicReference<>();
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxFactory(id -> {
                    Sandbox s = Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.standard()).build();
                    checked.compareAndSet(null, s);
                    return s;
                })
                .verifyOnBuild().build()) {
            assertThat(checked.get()).isNotNull();
            assertThatThrownBy(() -> checked.get().exec(Command.of("true")))
                    .isInstanceOf(SandboxException.class).hasMessageContaining("is closed");
            assertThat(provider.openConversations()).isEmpty();
            // the policy the check saw (standard: its own loopback, 5 minutes a command) is what the model reads
            assertThat(shellDescription(provider)).contains("There is no network but the sandbox's own loopback",
                    "Each call may run for 5m", "as an unprivileged user of its own (not root",
                    // bubblewrap does not claim KEEP_BACKGROUND: the model must not be promised it
                    "does not carry over to the next call here");
        }
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxes(Sandbox.builder().backend("none"), IsolationPolicy.permissive()).build()) {
            assertThat(shellDescription(provider)).as("none keeps background processes (KEEP_BACKGROUND)")
                    .contains("keeps running and can be used in the next call; it is stopped when the conversation's"
                            + " sandbox closes");
        }
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxFactory(id -> Sandbox.builder().backend("none").policy(IsolationPolicy.permissive()).build())
                .build()) {
            assertThat(shellDescription(provider)).as("a custom factory's backend is unknown until it runs")
                    .contains("depends on the sandbox's backend").doesNotContain("keeps running and can be used");
        }
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxes(Sandbox.builder().backend("bubblewrap"), IsolationPolicy.strict())
                .limits(ToolLimits.defaults().withCommandTimeout(java.time.Duration.ofSeconds(10))).build()) {
            assertThat(shellDescription(provider)).contains("There is no network: no internet",
                    "Each call may run for 10s", "at most 8000 characters");
        }
    }

    private static String shellDescription(SandboxToolProvider provider) {
        return provider.provideTools(ToolProviderRequest.builder()
                        .invocationContext(dev.langchain4j.invocation.InvocationContext.builder().chatMemoryId("x").build())
                        .userMessage(dev.langchain4j.data.message.UserMessage.from("hi")).build())
                .toolSpecificationByName("run_shell_command")
                .description();
    }
}
