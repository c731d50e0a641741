package dev.sandbox4j.langchain4j;

import static dev.sandbox4j.langchain4j.ScriptedChatModel.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.service.tool.ToolExecution;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Through AiServices with {@link SandboxToolProvider} in real bubblewrap sandboxes: a failed tool call (a
 * non-zero exit, a timeout, an OOM kill, a refusal, malformed arguments) reaches LangChain4j as a failed
 * {@code ToolExecution} and a {@code ToolExecutionResultMessage} marked as an error, with the exit code,
 * duration and violations as attributes; the model still gets the text.
 */
class ToolResultFlagsTest {

    interface Assistant {
        Result<String> chat(@MemoryId String conversation, @UserMessage String message);
    }

    @BeforeEach
    void requireBubblewrap() {
        BackendRequirement.assumeAvailable("bubblewrap");
    }

    private static Assistant assistant(ScriptedChatModel model, SandboxToolProvider provider) {
        return AiServices.builder(Assistant.class).chatModel(model)
                .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(50)).toolProvider(provider).build();
    }

    private static ToolExecutionRequest raw(String id, String tool, String arguments) {
        return ToolExecutionRequest.builder().id(id).name(tool).arguments(arguments).build();
    }

    @Test
    void failedCallsAreMarkedAsFailedWithTheirExitCodeDurationAndViolations() {
        IsolationPolicy policy = IsolationPolicy.strict().toBuilder().limits(l -> l.memory(DataSize.ofMiB(64))).build();
        ScriptedChatModel model = ScriptedChatModel.inOrder(List.of(
                AiMessage.from(
                        call("ok", "run_shell_command", Map.of("command", "echo fine")),
                        call("exit", "run_shell_command", Map.of("command", "echo failing >&2; exit 3")),
                        call("timeout", "run_shell_command", Map.of("command", "sleep 60")),
                        call("oom", "run_shell_command", Map.of("command",
                                "head -c 1073741824 /dev/zero | tail -n 1 > /dev/null; exit $?")),
                        call("refused", "read_file", Map.of("path", "/etc/passwd")),
                        call("wrote", "write_file", Map.of("path", "a.txt", "content", "x")),
                        raw("wrongKey", "run_shell_command", "{\"cmd\": \"ls\"}"),
                        raw("notJson", "write_file", "{\"path\": \"a.txt\", content: oops"),
                        raw("notString", "read_file", "{\"path\": 7}")),
                AiMessage.from("done")));
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxes(Sandbox.builder().backend("bubblewrap"), policy)
                .limits(ToolLimits.defaults().withCommandTimeout(Duration.ofSeconds(2))).build()) {

            Result<String> result = assistant(model, provider).chat("c", "Try things.");

            assertThat(result.content()).isEqualTo("done");
            Map<String, ToolExecution> byId = result.toolExecutions().stream()
                    .collect(Collectors.toMap(e -> e.request().id(), Function.identity()));
            assertThat(byId.keySet()).containsExactlyInAnyOrder("ok", "exit", "timeout", "oom", "refused", "wrote",
                    "wrongKey", "notJson", "notString");

            ToolExecution ok = byId.get("ok");
            assertThat(ok.hasFailed()).isFalse();
            assertThat(ok.result()).isEqualTo("exit code: 0\nstdout:\nfine");
            assertThat(ok.attributes()).containsEntry("exitCode", 0).containsEntry("timedOut", false)
                    .containsEntry("violations", List.of()).doesNotContainKey("failure")
                    .hasEntrySatisfying("durationMillis", d -> assertThat((Long) d).isNotNegative());
            assertThat(byId.get("wrote").hasFailed()).isFalse();

            ToolExecution exit = byId.get("exit");
            assertThat(exit.hasFailed()).isTrue();
            assertThat(exit.result()).isEqualTo("exit code: 3\nstdout: (empty)\nstderr:\nfailing");
            assertThat(exit.attributes()).containsEntry("exitCode", 3).containsEntry("failure", "exit");

            ToolExecution timeout = byId.get("timeout");
            assertThat(timeout.hasFailed()).isTrue();
            assertThat(timeout.result()).contains("note: timed out after 2s");
            assertThat(timeout.attributes()).containsEntry("timedOut", true).containsEntry("failure", "timeout")
                    .hasEntrySatisfying("durationMillis", d -> assertThat((Long) d).isGreaterThanOrEqualTo(2000L));

            ToolExecution oom = byId.get("oom");
            assertThat(oom.hasFailed()).isTrue();
            assertThat(oom.attributes()).containsEntry("exitCode", 137).containsEntry("signal", 9)
                    .containsEntry("failure", "killed")
                    .hasEntrySatisfying("violations", v -> assertThat((List<?>) v).anySatisfy(s ->
                            assertThat((String) s).startsWith("limits.memory: ").contains("out-of-memory", "64m")));
            assertThat(oom.result()).startsWith("exit code: 137\nnote: killed by signal 9 (SIGKILL) at the sandbox's"
                    + " memory limit\nnote: the sandbox reported a policy violation: limits.memory: ");

            ToolExecution refused = byId.get("refused");
            assertThat(refused.hasFailed()).isTrue();
            assertThat(refused.result()).startsWith("refused: ").contains("outside the workspace");
            assertThat(refused.attributes()).containsEntry("failure", "refused");

            // malformed arguments: the tool's name and the shape it takes, not a parser's message; the flow goes on
            assertThat(byId.get("wrongKey").result()).isEqualTo("refused: run_shell_command: the arguments must be a"
                    + " JSON object {\"command\": \"...\"}; \"command\" is missing (sent: {\"cmd\": \"ls\"})");
            assertThat(byId.get("notJson").result()).isEqualTo("refused: write_file: the arguments must be a JSON"
                    + " object {\"path\": \"...\", \"content\": \"...\"}; what was sent is not valid JSON: {\"path\":"
                    + " \"a.txt\", content: oops");
            assertThat(byId.get("notString").result()).isEqualTo("refused: read_file: the arguments must be a JSON"
                    + " object {\"path\": \"...\"}; \"path\" is a number, not a string");
            for (String id : List.of("wrongKey", "notJson", "notString")) {
                assertThat(byId.get(id).hasFailed()).as(id).isTrue();
                assertThat(byId.get(id).attributes()).as(id).containsEntry("failure", "arguments");
            }

            // what went back to the model carries the same flag and attributes
            Map<String, ToolExecutionResultMessage> sent = ScriptedChatModel.toolResultsSinceUser(
                    model.requests.get(1).messages()).stream()
                    .collect(Collectors.toMap(ToolExecutionResultMessage::id, Function.identity()));
            assertThat(sent.get("ok").isError()).isFalse();
            assertThat(sent.get("exit").isError()).isTrue();
            assertThat(sent.get("exit").attributes()).containsEntry("exitCode", 3);
            assertThat(sent.get("oom").isError()).isTrue();
            assertThat(sent.get("wrongKey").isError()).isTrue();
            assertThat(sent.get("oom").text()).isEqualTo(oom.result());
        }
    }

    @Test
    void aCommandKilledBecauseItsConversationEndedSaysSo() throws Exception {
        ScriptedChatModel model = ScriptedChatModel.inOrder(List.of(
                AiMessage.from(call("long", "run_shell_command", Map.of("command", "touch started; sleep 60"))),
                AiMessage.from("done")));
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxes(Sandbox.builder().backend("bubblewrap"), IsolationPolicy.strict()).build()) {
            Future<Result<String>> chat = thread.submit(() -> assistant(model, provider).chat("c", "Wait."));
            // not a timing assertion: wait, with a generous deadline, until the command runs
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!started(provider) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(started(provider)).isTrue();

            assertThat(provider.close("c")).isTrue();

            ToolExecution killed = chat.get(60, TimeUnit.SECONDS).toolExecutions().get(0);
            assertThat(killed.hasFailed()).isTrue();
            assertThat(killed.result()).startsWith("exit code: 137\nnote: killed by signal 9: the conversation's"
                    + " sandbox was closed while it ran").doesNotContain("memory");
            assertThat(killed.attributes()).containsEntry("failure", "sandbox-closed").containsEntry("signal", 9);
        } finally {
            thread.shutdownNow();
        }
    }

    @Test
    void withACustomFactoryViolationsAreAbsentNotClaimedEmpty() {
        ScriptedChatModel model = ScriptedChatModel.inOrder(List.of(
                AiMessage.from(call("x", "run_shell_command", Map.of("command", "exit 1"))), AiMessage.from("done")));
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxFactory(id -> Sandbox.builder().backend("bubblewrap").build()).build()) {
            ToolExecution e = assistant(model, provider).chat("c", "Go.").toolExecutions().get(0);
            assertThat(e.hasFailed()).isTrue();
            assertThat(e.attributes()).containsEntry("exitCode", 1).containsEntry("failure", "exit")
                    .doesNotContainKey("violations");
        }
    }

    private static boolean started(SandboxToolProvider provider) {
        return provider.sandbox("c").map(s -> {
            try {
                return s.files().list(s.workspacePath()).stream().anyMatch(e -> e.name().equals("started"));
            } catch (RuntimeException e) {
                return false;
            }
        }).orElse(false);
    }
}
