package dev.sandbox4j.vm.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The host's codec: round trips, and every way a frame from a hostile guest can be malformed. */
class FrameCodecTest {

    private static InputStream bytes(int... b) {
        byte[] a = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            a[i] = (byte) b[i];
        }
        return new ByteArrayInputStream(a);
    }

    @Test
    @DisplayName("a frame survives encode and read; a clean end of stream is empty")
    void roundTrip() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameCodec.write(out, new Frame(FrameType.STDOUT, 0xfffffffe, "hi".getBytes()));
        FrameCodec.write(out, Frame.of(FrameType.END, 7));
        assertThat(out.toByteArray()).startsWith(0x53, 0x34, 0x85, 0, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 2, 'h', 'i');
        InputStream in = new ByteArrayInputStream(out.toByteArray());
        Frame a = FrameCodec.read(in).orElseThrow();
        assertThat(a.type()).isEqualTo(FrameType.STDOUT);
        assertThat(a.id()).isEqualTo(0xfffffffe);
        assertThat(a.payload()).containsExactly('h', 'i');
        assertThat(FrameCodec.read(in).orElseThrow().type()).isEqualTo(FrameType.END);
        assertThat(FrameCodec.read(in)).isEmpty();
    }

    @Test
    @DisplayName("a wrong magic, non-zero flags, an over-long length or an unknown type are refused before any allocation")
    void badHeaders() {
        assertThatThrownBy(() -> FrameCodec.read(bytes('G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1')))
                .isInstanceOf(AgentProtocolException.class).hasMessageContaining("magic 4745");
        assertThatThrownBy(() -> FrameCodec.read(bytes(0x53, 0x34, 0x85, 1, 0, 0, 0, 1, 0, 0, 0, 0)))
                .isInstanceOf(AgentProtocolException.class).hasMessageContaining("flags 1");
        assertThatThrownBy(() -> FrameCodec.read(bytes(0x53, 0x34, 0x85, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff)))
                .isInstanceOf(AgentProtocolException.class).hasMessageContaining("length 4294967295");
        assertThatThrownBy(() -> FrameCodec.read(bytes(0x53, 0x34, 0x99, 0, 0, 0, 0, 1, 0, 0, 0, 0)))
                .isInstanceOf(AgentProtocolException.class).hasMessageContaining("unknown type 0x99");
    }

    @Test
    @DisplayName("a stream that ends inside a header or a payload is an EOFException")
    void truncated() {
        assertThatThrownBy(() -> FrameCodec.read(bytes(0x53, 0x34, 0x85))).isInstanceOf(EOFException.class)
                .hasMessageContaining("3 of 12");
        assertThatThrownBy(() -> FrameCodec.read(bytes(0x53, 0x34, 0x85, 0, 0, 0, 0, 1, 0, 0, 0, 9, 'x')))
                .isInstanceOf(EOFException.class).hasMessageContaining("1 of 9");
    }

    @Test
    @DisplayName("payload fields past the end, NUL bytes in strings, bad UTF-8 and leftover bytes are malformed")
    void badPayloads() {
        Frame shortExit = new Frame(FrameType.EXIT, 1, new byte[] {0, 0, 0, 0, 0, 0});
        assertThatThrownBy(() -> ExitReport.decode(shortExit)).isInstanceOf(AgentProtocolException.class)
                .hasMessageContaining("only 2 bytes are left");
        Frame nul = new Frame(FrameType.READY, 0, new PayloadWriter().str("1").u32(3).bytes(new byte[] {'a', 0, 'b'}).toByteArray());
        assertThatThrownBy(() -> ReadyReport.decode(nul)).hasMessageContaining("NUL byte");
        Frame utf = new Frame(FrameType.READY, 0, new PayloadWriter().str("1").u32(2).bytes(new byte[] {(byte) 0xc3, 0x28}).toByteArray());
        assertThatThrownBy(() -> ReadyReport.decode(utf)).hasMessageContaining("not UTF-8");
        Frame extra = new Frame(FrameType.READY, 0, new PayloadWriter().str("1").str("k").u8(0).toByteArray());
        assertThatThrownBy(() -> ReadyReport.decode(extra)).hasMessageContaining("1 bytes left over");
        Frame hugeString = new Frame(FrameType.ERROR, 1, new PayloadWriter().u32(5).u32(0x7fffffff).toByteArray());
        assertThatThrownBy(() -> AgentError.decode(hugeString)).hasMessageContaining("string of 2147483647 bytes");
        Frame hugeList = new Frame(FrameType.LIST, 1, new PayloadWriter().u32(1_000_000).toByteArray());
        assertThatThrownBy(() -> ListDecoder.decode(hugeList)).hasMessageContaining("1000000 entries cannot fit");
        Frame slash = new Frame(FrameType.LIST, 1, new PayloadWriter().u32(1).str("../x").u8(0).u64(1).u64(0).toByteArray());
        assertThatThrownBy(() -> ListDecoder.decode(slash)).hasMessageContaining("impossible");
        Frame badExit = new Frame(FrameType.EXIT, 1, new PayloadWriter().u32(1).u32(99).u32(0).u64(0).u64(0).u64(0).toByteArray());
        assertThatThrownBy(() -> ExitReport.decode(badExit)).hasMessageContaining("impossible exit");
    }

    @Test
    @DisplayName("EXIT decodes the status, the signal and the flags")
    void exitReport() {
        Frame f = new Frame(FrameType.EXIT, 1, new PayloadWriter().u32(1).u32(9).u32(1 | 2).u64(1500).u64(500).u64(2048).toByteArray());
        ExitReport r = ExitReport.decode(f);
        assertThat(r.status()).isEqualTo(137);
        assertThat(r.timedOut()).isTrue();
        assertThat(r.oomKilled()).isTrue();
        assertThat(r.pidsLimited()).isFalse();
        assertThat(r.cpuTime()).isEqualTo(Duration.ofMillis(2));
    }

    @Test
    @DisplayName("EXEC and INIT payloads have the layout PROTOCOL.md gives")
    void requestLayouts() {
        byte[] bpf = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        ExecRequest x = new ExecRequest(true, true, false, OptionalInt.of(65534), 1L << 10, Duration.ofSeconds(2),
                OptionalLong.of(4096), OptionalLong.empty(), bpf, "/w", List.of("id"), List.of("A=b"));
        byte[] expected = new PayloadWriter().u32(3).u32(65534).u32(65534).u64(1024).u64(2000).u64(4096).u64(-1)
                .u32(16).bytes(bpf).str("/w").list(List.of("id")).list(List.of("A=b")).toByteArray();
        assertThat(x.encode()).isEqualTo(expected);
        // the agent runs nothing without a program: the host cannot even make such a request
        for (byte[] bad : new byte[][] {new byte[0], new byte[12], new byte[8 * 4097]}) {
            assertThatThrownBy(() -> new ExecRequest(false, false, false, OptionalInt.empty(), 0, Duration.ZERO, OptionalLong.empty(),
                    OptionalLong.empty(), bad, "/", List.of("true"), List.of()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to 4096 instructions of 8 bytes");
        }
        InitRequest i = new InitRequest(Instant.ofEpochSecond(2, 5), new byte[32], true, true, OptionalLong.of(10), OptionalLong.empty(),
                OptionalLong.empty(), List.of(new InitRequest.Share("usr", "/usr", true)), List.of(new InitRequest.Tmpfs("/tmp", "size=1m")),
                List.of("/h"));
        byte[] init = new PayloadWriter().u64(2_000_000_005L).bytes(new byte[32]).u32(3).u64(10).u64(-1).u64(-1)
                .list(List.of("usr", "/usr", "ro")).list(List.of("/tmp", "size=1m")).list(List.of("/h")).toByteArray();
        assertThat(i.encode()).isEqualTo(init);
    }
}
