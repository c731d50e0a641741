package dev.sandbox4j.langchain4j.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.testkit.BackendRequirement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The races of a conversation's sandbox: first use from many threads, the sweeper against a running call. */
class ConversationSandboxesLifecycleTest {

    private static String rootMessage(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a failure");
    }

    private final AtomicInteger made = new AtomicInteger();
    private final AtomicLong now = new AtomicLong();

    @BeforeEach
    void requireBubblewrap() {
        BackendRequirement.assumeAvailable("bubblewrap");
    }

    private ConversationSandboxes sandboxes() {
        return new ConversationSandboxes(id -> {
            made.incrementAndGet();
            return Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()).build();
        }, Duration.ofMinutes(10), Duration.ofHours(1), now::get, new SetupFailures("test"));
    }

    @Test
    void manyFirstCallsOfOneConversationAtOnceMakeOneSandbox() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (ConversationSandboxes sandboxes = sandboxes()) {
            CyclicBarrier start = new CyclicBarrier(8);
            Set<String> ids = ConcurrentHashMap.newKeySet();
            List<Future<String>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(pool.submit(() -> {
                    start.await(60, TimeUnit.SECONDS);
                    return sandboxes.access("same").use(s -> {
                        ids.add(s.id());
                        return s.exec(dev.sandbox4j.Command.of("true")).exitCode() + "";
                    });
                }));
            }
            for (Future<String> f : calls) {
                assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo("0");
            }
            assertThat(made.get()).isEqualTo(1);
            assertThat(ids).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theSweeperNeverClosesASandboxWhileACallRunsInIt() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ConversationSandboxes sandboxes = sandboxes()) {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<String> call = pool.submit(() -> sandboxes.access("busy").use(s -> {
                inside.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return s.exec(dev.sandbox4j.Command.of("echo", "still open")).stdout();
            }));
            assertThat(inside.await(60, TimeUnit.SECONDS)).isTrue();
            now.addAndGet(Duration.ofHours(2).toNanos());

            sandboxes.sweep();

            assertThat(sandboxes.openConversations()).containsExactly("busy");
            release.countDown();
            assertThat(call.get(60, TimeUnit.SECONDS)).isEqualTo("still open\n");
            // the call's end counts as use: idle starts again from there
            sandboxes.sweep();
            assertThat(sandboxes.openConversations()).containsExactly("busy");
            now.addAndGet(Duration.ofMinutes(10).toNanos());
            sandboxes.sweep();
            assertThat(sandboxes.openConversations()).isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailingFactoryIsReportedAndRetriedOnTheNextCall() {
        AtomicInteger attempts = new AtomicInteger();
        try (ConversationSandboxes sandboxes = new ConversationSandboxes(id -> {
            if (attempts.incrementAndGet() == 1) {
                return Sandbox.builder().backend("no-such-backend").build();
            }
            return Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()).build();
        }, Duration.ofMinutes(10), Duration.ofHours(1), now::get, new SetupFailures("test"))) {
            // the model's short text, with the core's diagnostic as the cause (logged for the operator)
            assertThatThrownBy(() -> sandboxes.access("c").use(s -> "unreached"))
                    .isInstanceOf(SandboxSetupException.class).hasMessageContaining("application's setup")
                    .hasRootCauseMessage(rootMessage(() -> Sandbox.builder().backend("no-such-backend").build()));
            assertThat(sandboxes.access("c").use(Sandbox::backend)).isEqualTo("bubblewrap");
        }
    }
}
