package dev.sandbox4j.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileAccessException.Reason;
import dev.sandbox4j.FileEntry;
import dev.sandbox4j.SandboxFiles;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Contract rules of the files API that adapters to other sandbox APIs lean on: {@code .} paths, the
 * machine-readable reason of every failure, modification times in listings, and a delete that refuses a
 * directory with entries. Not meant to be extended directly: extend {@link SandboxContractTest}.
 */
public abstract class FileDetailsContract extends FilesContract {

    @Test
    @DisplayName("'.', './x', the workspace path itself and '/workspace/./x' are accepted; '..' after '.' is still refused")
    void dotPathsAccepted() {
        SandboxFiles files = sandbox().files();
        String dir = "dot-" + unique();
        String ws = sandbox().workspacePath();
        files.write("./" + dir + "/a.txt", "a".getBytes(UTF_8));
        assertThat(files.read(dir + "/./a.txt")).isEqualTo("a".getBytes(UTF_8));
        assertThat(files.read(ws + "/./" + dir + "/a.txt")).isEqualTo("a".getBytes(UTF_8));
        assertThat(files.exists(".")).isTrue();
        assertThat(files.exists("./" + dir)).isTrue();
        assertThat(files.list(".")).extracting(FileEntry::name).contains(dir);
        assertThat(files.list("./")).isEqualTo(files.list("."));
        assertThat(files.list(ws)).isEqualTo(files.list("."));
        assertThat(files.list(ws + "/.")).isEqualTo(files.list("."));
        assertThat(files.list("./" + dir)).extracting(FileEntry::name).containsExactly("a.txt");
        files.mkdirs("./" + dir + "/./sub");
        assertSucceeded(sh("test -d " + dir + "/sub"));
        files.delete("./" + dir + "/sub");
        assertThat(files.exists(dir + "/sub")).isFalse();
        assertThat(reasonOf(() -> files.read("./../" + dir))).isEqualTo(Reason.REFUSED);
        assertThat(reasonOf(() -> files.write(dir + "/./../../x", "x".getBytes(UTF_8)))).isEqualTo(Reason.REFUSED);
        assertThat(reasonOf(() -> files.delete("."))).as("the workspace itself").isEqualTo(Reason.REFUSED);
        assertThat(reasonOf(() -> files.delete(ws + "/."))).as("the workspace itself").isEqualTo(Reason.REFUSED);
    }

    @Test
    @DisplayName("every failure carries its reason: not found, not a directory, is a directory, too large, refused")
    void failureReasons() {
        SandboxFiles files = sandbox().files();
        String dir = "reasons-" + unique();
        files.write(dir + "/file.txt", new byte[100]);
        files.mkdirs(dir + "/sub");
        assertThat(reasonOf(() -> files.read(dir + "/missing"))).isEqualTo(Reason.NOT_FOUND);
        assertThat(reasonOf(() -> files.list(dir + "/missing"))).isEqualTo(Reason.NOT_FOUND);
        assertThat(reasonOf(() -> files.delete(dir + "/missing"))).isEqualTo(Reason.NOT_FOUND);
        assertThat(reasonOf(() -> files.read(dir + "/no/such/dir.txt"))).isEqualTo(Reason.NOT_FOUND);
        assertThat(reasonOf(() -> files.list(dir + "/file.txt"))).isEqualTo(Reason.NOT_A_DIRECTORY);
        assertThat(reasonOf(() -> files.read(dir + "/file.txt/x"))).isEqualTo(Reason.NOT_A_DIRECTORY);
        assertThat(reasonOf(() -> files.read(dir + "/sub"))).isEqualTo(Reason.IS_A_DIRECTORY);
        assertThat(reasonOf(() -> files.write(dir + "/sub", new byte[1]))).isEqualTo(Reason.IS_A_DIRECTORY);
        assertThat(reasonOf(() -> files.read(dir + "/file.txt", DataSize.ofBytes(99)))).isEqualTo(Reason.TOO_LARGE);
        assertThat(reasonOf(() -> files.read("../" + dir))).isEqualTo(Reason.REFUSED);
        assertThat(reasonOf(() -> files.read("/etc/passwd"))).isEqualTo(Reason.REFUSED);
        assertThat(reasonOf(() -> files.read(dir + "/nul\0"))).isEqualTo(Reason.REFUSED);
        assertThat(reasonOf(() -> files.write(dir + "//x", new byte[1]))).isEqualTo(Reason.REFUSED);
        requireTool(sandbox(), "ln", "a symlink on the way is refused with REFUSED");
        assertSucceeded(sh("ln -s /etc " + dir + "/link && ln -s file.txt " + dir + "/flink"));
        assertThat(reasonOf(() -> files.read(dir + "/link/passwd"))).isEqualTo(Reason.REFUSED);
        assertThat(reasonOf(() -> files.list(dir + "/link"))).isEqualTo(Reason.REFUSED);
        assertThat(reasonOf(() -> files.read(dir + "/flink"))).isEqualTo(Reason.REFUSED);
    }

    @Test
    @DisplayName("list() gives each entry the modification time the command sees (stat -c %Y), of the link itself for a symlink")
    void listCarriesModificationTime() {
        SandboxFiles files = sandbox().files();
        String dir = "mtime-" + unique();
        Instant before = Instant.now().minus(1, ChronoUnit.HOURS);
        files.write(dir + "/fresh.txt", "f".getBytes(UTF_8));
        files.write(dir + "/old.txt", "o".getBytes(UTF_8));
        requireTool(sandbox(), "touch", "list() reports modification times");
        requireTool(sandbox(), "stat", "list() reports modification times");
        // touch -t is POSIX (GNU and busybox); its zone does not matter: stat -c %Y gives epoch seconds
        String old = assertSucceeded(sh("touch -t 200102030405.06 " + dir + "/old.txt && stat -c %Y " + dir + "/old.txt"))
                .stdout().strip();
        var entries = files.list(dir);
        assertThat(entries).extracting(FileEntry::name).containsExactly("fresh.txt", "old.txt");
        Instant oldTime = entries.get(1).modified();
        assertThat(oldTime.getEpochSecond()).as("old.txt's mtime, as the command's stat sees it").isEqualTo(Long.parseLong(old));
        assertThat(oldTime).as("touch -t 2001-02-03 in whatever zone").isBetween(Instant.parse("2001-02-02T00:00:00Z"),
                Instant.parse("2001-02-05T00:00:00Z"));
        // the sandbox's clock (a VM's guest clock) is set from the host's: an hour of slack either way
        assertThat(entries.get(0).modified()).as("a file just written").isBetween(before, Instant.now().plus(1, ChronoUnit.HOURS));
        assertThat(files.list(".")).filteredOn(e -> e.name().equals(dir)).singleElement()
                .extracting(FileEntry::modified).as("a directory's mtime").matches(t -> t.isAfter(before), "is recent");
    }

    @Test
    @DisplayName("deleteEmpty() removes a file, a symlink and an empty directory, and refuses one with entries (NOT_EMPTY)")
    void deleteEmptyRefusesNonEmptyDirectory() {
        SandboxFiles files = sandbox().files();
        String dir = "del-" + unique();
        files.write(dir + "/full/keep.txt", "keep".getBytes(UTF_8));
        files.mkdirs(dir + "/empty");
        files.write(dir + "/file.txt", "f".getBytes(UTF_8));
        assertThat(reasonOf(() -> files.deleteEmpty(dir + "/full"))).isEqualTo(Reason.NOT_EMPTY);
        assertThat(files.read(dir + "/full/keep.txt")).as("a refused deleteEmpty removed something").isEqualTo("keep".getBytes(UTF_8));
        assertThat(reasonOf(() -> files.deleteEmpty(dir + "/missing"))).isEqualTo(Reason.NOT_FOUND);
        assertThat(reasonOf(() -> files.deleteEmpty("."))).isEqualTo(Reason.REFUSED);
        files.deleteEmpty(dir + "/empty");
        files.deleteEmpty(dir + "/file.txt");
        assertThat(files.exists(dir + "/empty")).isFalse();
        assertThat(files.exists(dir + "/file.txt")).isFalse();
        assertThat(sh("test -e " + dir + "/empty || test -e " + dir + "/file.txt").exitCode())
                .as("the command still sees what deleteEmpty removed").isEqualTo(1);
        requireTool(sandbox(), "ln", "deleteEmpty removes a symlink, not its target");
        assertSucceeded(sh("ln -s full " + dir + "/link"));
        files.deleteEmpty(dir + "/link");
        assertThat(files.exists(dir + "/link")).isFalse();
        assertThat(files.exists(dir + "/full/keep.txt")).as("deleteEmpty followed the link").isTrue();
        files.delete(dir + "/full");
        assertThat(files.exists(dir + "/full")).as("delete() stays recursive").isFalse();
    }

    /** The reason of the FileAccessException that {@code call} throws; fails when it throws nothing or anything else. */
    protected static Reason reasonOf(ThrowingCallable call) {
        FileAccessException e = catchThrowableOfType(FileAccessException.class, call);
        assertThat(e).as("a FileAccessException was expected").isNotNull();
        assertThat(e.reason()).as("reason of: %s", e.getMessage()).isNotNull();
        return e.reason();
    }
}
