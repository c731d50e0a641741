package dev.sandbox4j.internal.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bounded buffer between a pump and a reader: order, backpressure, and the ways a blocked writer is released. */
class BoundedPipeTest {
    private static final long GUARD_S = 60;

    @Test
    void bytesComeOutInOrderAcrossTheRingsEnd() throws Exception {
        BoundedPipe pipe = new BoundedPipe(8);
        byte[] data = "0123456789abcdefghij".getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            pipe.accept(data, 0, data.length);
            pipe.finish();
        });
        assertThat(new String(pipe.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("0123456789abcdefghij");
        writer.get(GUARD_S, TimeUnit.SECONDS);
    }

    @Test
    void aFullBufferBlocksTheWriterUntilTheReaderCloses() throws Exception {
        BoundedPipe pipe = new BoundedPipe(4);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> pipe.accept(new byte[10], 0, 10));
        // the writer cannot finish: 10 bytes do not fit in 4 and nobody reads
        assertThat(writer).isNotDone();
        while (pipe.available() < 4) {
            Thread.sleep(5);
        }
        assertThat(writer.isDone()).isFalse();
        pipe.close();
        writer.get(GUARD_S, TimeUnit.SECONDS);
    }

    @Test
    void endReleasesTheWriterAndKeepsWhatWasBuffered() throws Exception {
        BoundedPipe pipe = new BoundedPipe(4);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> pipe.accept("abcdefgh".getBytes(), 0, 8));
        while (pipe.available() < 4) {
            Thread.sleep(5);
        }
        pipe.end();
        writer.get(GUARD_S, TimeUnit.SECONDS);
        pipe.accept("zz".getBytes(), 0, 2);
        pipe.finish();
        assertThat(new String(pipe.readAllBytes())).isEqualTo("abcd");
    }
}
