package dev.sandbox4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.SandboxImage;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.TypeConversionException;

class ConvertersTest {

    @Test
    void sizesAreBinaryUnits() {
        DataSizeConverter c = new DataSizeConverter();
        assertThat(c.convert("512m")).isEqualTo(DataSize.ofMiB(512));
        assertThat(c.convert("1g")).isEqualTo(DataSize.ofGiB(1));
        assertThat(c.convert("64k").bytes()).isEqualTo(65536);
        assertThat(c.convert("100").bytes()).isEqualTo(100);
    }

    @Test
    void aBadSizeNamesTheValue() {
        assertThatThrownBy(() -> new DataSizeConverter().convert("12x"))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("'12x'")
                .hasMessageContaining("512m");
        assertThatThrownBy(() -> new DataSizeConverter().convert("-1m"))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("'-1m'");
    }

    @Test
    void durationsInShortForm() {
        DurationConverter c = new DurationConverter();
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.convert("PT1H")).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void aBadDurationNamesTheValue() {
        assertThatThrownBy(() -> new DurationConverter().convert("10"))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("'10'")
                .hasMessageContaining("500ms");
        assertThatThrownBy(() -> new DurationConverter().convert("soon"))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("'soon'");
    }

    @Test
    void imageReferences(@TempDir Path rootfs) {
        ImageConverter c = new ImageConverter();
        assertThat(c.convert("host")).isEqualTo(SandboxImage.host());
        assertThat(c.convert("python:3.12")).isEqualTo(SandboxImage.oci("python:3.12"));
        assertThat(c.convert(rootfs.toString())).isEqualTo(SandboxImage.directory(rootfs));
        assertThatThrownBy(() -> c.convert(rootfs.resolve("missing").toString()))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("missing")
                .hasMessageContaining("is not a directory");
    }

    @Test
    void mountsDefaultToTheSamePathAndResolveRelativeHostPaths() {
        assertThat(MountArg.parse("/data")).isEqualTo(new MountArg(Path.of("/data"), "/data"));
        assertThat(MountArg.parse("/data:/in")).isEqualTo(new MountArg(Path.of("/data"), "/in"));
        Path cwd = Path.of("").toAbsolutePath();
        assertThat(MountArg.parse("src/../lib:/lib2")).isEqualTo(new MountArg(cwd.resolve("lib"), "/lib2"));
        assertThat(MountArg.parse("lib")).isEqualTo(new MountArg(cwd.resolve("lib"), cwd.resolve("lib").toString()));
    }

    @Test
    void badMountsAreRefusedByName() {
        assertThatThrownBy(() -> MountArg.parse(":/in")).hasMessageContaining("':/in' has no host path");
        assertThatThrownBy(() -> MountArg.parse("/data:")).hasMessageContaining("'/data:' has an empty sandbox path");
        assertThatThrownBy(() -> MountArg.parse("")).hasMessageContaining("is not a mount");
    }
}
