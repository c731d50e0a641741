package dev.sandbox4j.langchain4j;

import static dev.sandbox4j.langchain4j.ScriptedChatModel.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.testkit.BackendRequirement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SandboxToolProvider} through AiServices with a chat memory per conversation: one real bubblewrap
 * sandbox per memory id, files that persist across turns of one conversation and never cross to another,
 * and sandboxes closed when the conversation ends or idles.
 */
class ConversationSandboxesTest {

    interface Assistant {
        String chat(@MemoryId String conversation, @dev.langchain4j.service.UserMessage String message);
    }

    @BeforeEach
    void requireBubblewrap() {
        BackendRequirement.assumeAvailable("bubblewrap");
    }

    private static Sandbox bubblewrap(Object memoryId) {
        return Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()).build();
    }

    /**
     * The model of these tests: the user's text is the script. {@code "write NAME"} writes NAME.txt with the
     * memory id in it, waits at the barrier (so both conversations have written before either looks), then
     * lists and cats; {@code "cat NAME"} cats a file; after the tools ran, the answer is their joined results.
     */
    private static ScriptedChatModel scriptedByUserText(CyclicBarrier bothWrote) {
        return new ScriptedChatModel(request -> {
            String user = lastUserText(request);
            List<ToolExecutionResultMessage> results = ScriptedChatModel.toolResultsSinceUser(request.messages());
            String[] words = user.split(" ");
            String name = words[1];
            if (words[0].equals("write")) {
                if (results.isEmpty()) {
                    return AiMessage.from(call("w", "write_file", Map.of("path", name + ".txt", "content", "owner " + name)));
                }
                if (results.size() == 1) {
                    await(bothWrote);
                    return AiMessage.from(call("l", "run_shell_command", Map.of("command", "ls /workspace")),
                            call("o", "run_shell_command", Map.of("command", "cat /workspace/" + words[2] + ".txt")));
                }
            } else if (words[0].equals("cat") && results.isEmpty()) {
                return AiMessage.from(call("c", "read_file", Map.of("path", name + ".txt")));
            }
            return AiMessage.from(results.stream().map(r -> r.id() + "=" + r.text()).collect(Collectors.joining("\n#\n")));
        });
    }

    private static String lastUserText(ChatRequest request) {
        List<ChatMessage> m = request.messages();
        for (int i = m.size() - 1; i >= 0; i--) {
            if (m.get(i) instanceof UserMessage u) {
                return u.singleText();
            }
        }
        throw new AssertionError("no user message in " + m);
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the other conversation did not reach the barrier", e);
        }
    }

    @Test
    void twoConversationsAtOnceGetTwoSandboxesAndTheirFilesNeverCross() throws Exception {
        CyclicBarrier bothWrote = new CyclicBarrier(2);
        ScriptedChatModel model = scriptedByUserText(bothWrote);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxFactory(ConversationSandboxesTest::bubblewrap).build()) {
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(model)
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(50))
                    .toolProvider(provider)
                    .build();

            Future<String> alice = threads.submit(() -> assistant.chat("alice", "write alice bob"));
            Future<String> bob = threads.submit(() -> assistant.chat("bob", "write bob alice"));
            String a = alice.get(120, TimeUnit.SECONDS);
            String b = bob.get(120, TimeUnit.SECONDS);

            // each conversation sees its own file only; the other's is absent in its sandbox
            assertThat(a).contains("w=wrote 11 bytes to /workspace/alice.txt")
                    .contains("l=exit code: 0\nstdout:\nalice.txt")
                    .contains("o=exit code: 1\nstdout: (empty)\nstderr:\ncat: /workspace/bob.txt: No such file or directory")
                    .doesNotContain("owner bob");
            assertThat(b).contains("w=wrote 9 bytes to /workspace/bob.txt")
                    .contains("l=exit code: 0\nstdout:\nbob.txt")
                    .contains("o=exit code: 1\nstdout: (empty)\nstderr:\ncat: /workspace/alice.txt: No such file or directory")
                    .doesNotContain("owner alice");

            assertThat(provider.openConversations()).containsExactlyInAnyOrder("alice", "bob");
            Sandbox aliceBox = provider.sandbox("alice").orElseThrow();
            Sandbox bobBox = provider.sandbox("bob").orElseThrow();
            assertThat(aliceBox.id()).isNotEqualTo(bobBox.id());

            // a later turn of the same conversation finds its file: same sandbox
            assertThat(assistant.chat("alice", "cat alice")).isEqualTo("c=owner alice");
            assertThat(provider.sandbox("alice")).containsSame(aliceBox);

            // ending a conversation closes its sandbox only; its next turn starts empty
            assertThat(provider.close("alice")).isTrue();
            assertThat(provider.openConversations()).containsExactly("bob");
            assertThatThrownBy(() -> aliceBox.exec(dev.sandbox4j.Command.of("true")))
                    .isInstanceOf(SandboxException.class).hasMessageContaining("is closed");
            assertThat(assistant.chat("alice", "cat alice")).startsWith("c=refused: ").contains("alice.txt");
            assertThat(provider.sandbox("alice").orElseThrow().id()).isNotEqualTo(aliceBox.id());
            assertThat(assistant.chat("bob", "cat bob")).isEqualTo("c=owner bob");
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void closingTheProviderClosesEverySandboxAndRefusesNewConversations() {
        ScriptedChatModel model = scriptedByUserText(new CyclicBarrier(1));
        SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxFactory(ConversationSandboxesTest::bubblewrap).build();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
                .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(50)).toolProvider(provider).build();
        assistant.chat("one", "cat nothing");
        assistant.chat("two", "cat nothing");
        Sandbox one = provider.sandbox("one").orElseThrow();
        Sandbox two = provider.sandbox("two").orElseThrow();

        provider.close();

        assertThat(provider.openConversations()).isEmpty();
        for (Sandbox s : List.of(one, two)) {
            assertThatThrownBy(() -> s.exec(dev.sandbox4j.Command.of("true"))).hasMessageContaining("is closed");
        }
        assertThatThrownBy(() -> assistant.chat("three", "cat nothing"))
                .isInstanceOf(SandboxException.class).hasMessageContaining("the provider is closed");
        provider.close();
    }

    @Test
    void theSweeperClosesOnlySandboxesIdleForTheTimeout() {
        AtomicLong now = new AtomicLong();
        ScriptedChatModel model = scriptedByUserText(new CyclicBarrier(1));
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxFactory(ConversationSandboxesTest::bubblewrap)
                .idleTimeout(Duration.ofMinutes(10))
                .sweepInterval(Duration.ofHours(1))
                .nanoClock(now::get)
                .build()) {
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(50)).toolProvider(provider).build();
            assistant.chat("old", "write old x");
            now.addAndGet(Duration.ofMinutes(6).toNanos());
            assistant.chat("recent", "write recent x");
            now.addAndGet(Duration.ofMinutes(5).toNanos());
            Sandbox old = provider.sandbox("old").orElseThrow();

            provider.sweepNow();

            // "old" was idle 11 minutes, "recent" 5
            assertThat(provider.openConversations()).containsExactly("recent");
            assertThatThrownBy(() -> old.exec(dev.sandbox4j.Command.of("true"))).hasMessageContaining("is closed");
            // its next turn gets a fresh, empty sandbox
            assertThat(assistant.chat("old", "cat old")).startsWith("c=refused: ");
            assertThat(assistant.chat("recent", "cat recent")).isEqualTo("c=owner recent");
        }
    }

    @Test
    void theScheduledSweeperClosesAnIdleSandboxByItself() throws Exception {
        try (SandboxToolProvider provider = SandboxToolProvider.builder()
                .sandboxFactory(ConversationSandboxesTest::bubblewrap)
                .idleTimeout(Duration.ofMillis(200))
                .sweepInterval(Duration.ofMillis(50))
                .build()) {
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(scriptedByUserText(new CyclicBarrier(1)))
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(50)).toolProvider(provider).build();
            assistant.chat("c", "cat nothing");
            Sandbox s = provider.sandbox("c").orElseThrow();
            // not a timing assertion: wait, with a generous deadline, for the sweeper thread to act
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!provider.openConversations().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(provider.openConversations()).isEmpty();
            assertThatThrownBy(() -> s.exec(dev.sandbox4j.Command.of("true"))).hasMessageContaining("is closed");
        }
    }
}
