package dev.sandbox4j.langchain4j;

import static dev.sandbox4j.langchain4j.ScriptedChatModel.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The {@code run_python} tool through AiServices and {@link SandboxToolProvider#builder()}'s
 * {@code codeInterpreter}: one interpreter per conversation, in that conversation's bubblewrap sandbox.
 */
class CodeInterpreterProviderTest {

    interface Assistant {
        String chat(@MemoryId String conversation, @dev.langchain4j.service.UserMessage String message);
    }

    /** The user's message is the cell; the model runs it with run_python and answers with the tool's text. */
    private static ScriptedChatModel runsTheUsersCode() {
        return new ScriptedChatModel(request -> {
            List<ChatMessage> messages = request.messages();
            ChatMessage last = messages.get(messages.size() - 1);
            if (last instanceof UserMessage u) {
                return AiMessage.from(call("c" + messages.size(), "run_python", Map.of("code", u.singleText())));
            }
            // with images the result has several contents: the text comes first
            return AiMessage.from(((TextContent) ((ToolExecutionResultMessage) last).contents().get(0)).text());
        });
    }

    @Test
    void eachConversationHasItsOwnInterpreterThatLivesAndDiesWithItsSandbox() throws Exception {
        BackendRequirement.assumeAvailable("bubblewrap");
        String marker = "s4jtest" + UUID.randomUUID().toString().replace("-", "");
        ScriptedChatModel model = runsTheUsersCode();
        try (SandboxToolProvider tools = SandboxToolProvider.builder()
                .sandboxFactory(id -> Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()).build())
                .codeInterpreter(sandbox -> SandboxCodeInterpreter.builder(sandbox).python("python3", "-X", marker).build())
                .build()) {
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(model)
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(50))
                    .toolProvider(tools)
                    .build();

            assertThat(assistant.chat("a", "x = 41")).isEqualTo("(the cell ran and printed nothing)");
            assertThat(assistant.chat("a", "x + 1")).isEqualTo("Out: 42");
            assertThat(assistant.chat("b", "'x' in globals()")).isEqualTo("Out: False");
            assertThat(model.requests.get(0).toolSpecifications()).extracting(s -> s.name()).contains("run_python");

            String png = SandboxCodeInterpreterTest.WRITE_PNG;
            assertThat(assistant.chat("b", png)).startsWith("Out: ").contains("image: /workspace/outputs/plot.png (image/png, ");
            ToolExecutionResultMessage withImage = (ToolExecutionResultMessage) last(model.requests.get(model.requests.size() - 1).messages());
            assertThat(withImage.contents()).hasSize(2);
            byte[] bytes = Base64.getDecoder().decode(((ImageContent) withImage.contents().get(1)).image().base64Data());
            assertThat(bytes).isEqualTo(tools.sandbox("b").orElseThrow().files().read("outputs/plot.png"));
            assertThat(withImage.isError()).isFalse();
            assertThat(withImage.attributes()).containsEntry("images", 1).containsEntry("stateLost", false);

            // a failed cell is marked as an error for the application, with the exception's type
            assertThat(assistant.chat("b", "1 / 0")).contains("error: ZeroDivisionError: division by zero");
            ToolExecutionResultMessage failed = (ToolExecutionResultMessage) last(model.requests.get(model.requests.size() - 1).messages());
            assertThat(failed.isError()).isTrue();
            assertThat(failed.attributes()).containsEntry("errorType", "ZeroDivisionError").containsEntry("timedOut", false)
                    .containsEntry("failure", "exception");

            assertThat(hostProcessesWith(marker)).hasSizeGreaterThanOrEqualTo(2);
            tools.close("a");
            awaitGone(marker, 1);
            // a's next call starts a new sandbox and a new interpreter: x is gone; b's interpreter still has its state
            assertThat(assistant.chat("a", "'x' in globals()")).isEqualTo("Out: False");
            assertThat(assistant.chat("b", "len(png)")).startsWith("Out: ");
        }
        awaitGone(marker, 0);
    }

    private static ChatMessage last(List<ChatMessage> messages) {
        return messages.get(messages.size() - 1);
    }

    /** Waits until the python processes with the marker belong to at most {@code left} conversations. */
    private static void awaitGone(String marker, int left) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (pythonsWith(marker) > left && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(pythonsWith(marker)).isEqualTo(left);
    }

    /** Python processes (not their launchers) with the marker on their command line. */
    private static long pythonsWith(String marker) throws IOException {
        return hostProcessesWith(marker).stream().filter(cmd -> cmd.startsWith("python3\0")).count();
    }

    private static List<String> hostProcessesWith(String marker) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(d -> d.getFileName().toString().matches("\\d+")).map(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            }).filter(cmd -> cmd.contains(marker)).toList();
        }
    }
}
