package dev.sandbox4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyJsonTest {

    static Stream<IsolationPolicy> presets() {
        return Stream.of(IsolationPolicy.strict(), IsolationPolicy.standard(), IsolationPolicy.permissive());
    }

    @ParameterizedTest
    @MethodSource("presets")
    void everyPresetRoundTrips(IsolationPolicy preset) {
        String json = preset.toJson();
        assertThat(IsolationPolicy.fromJson(json)).isEqualTo(preset);
        // and writing what was read gives the same text: the form is stable
        assertThat(IsolationPolicy.fromJson(json).toJson()).isEqualTo(json);
    }

    @Test
    void anEditedPolicyRoundTrips() {
        IsolationPolicy edited = IsolationPolicy.strict().toBuilder()
                .filesystem(fs -> fs.readOnly(Path.of("/usr/share"), "/opt/share")
                        .readWrite(Path.of("/var/tmp/work"), "/workspace/out")
                        .hide("/etc/shadow").tmpfs("/run"))
                .network(NetworkPolicy.loopback())
                .limits(l -> l.memory(DataSize.ofGiB(3)).cpus(1.5).pids(64).wallTime(Duration.ofMillis(1500))
                        .maxOutput(DataSize.ofBytes(1500)).noFileSizeLimit().noOpenFilesLimit())
                .syscalls(new SyscallPolicy(Set.of("ptrace", "bpf", "socket"), SyscallPolicy.Action.KILL))
                .process(new ProcessPolicy(true, OptionalInt.of(1000), true, true, Set.of("CAP_NET_BIND_SERVICE")))
                .environment(EnvironmentPolicy.defaults().with("GREETING", "héllo = \"world\"\n").inheriting("TZ"))
                .build();
        IsolationPolicy back = IsolationPolicy.fromJson(edited.toJson());
        assertThat(back).isEqualTo(edited);
        assertThat(back.filesystem().mounts()).containsExactly(
                Mount.readOnly(Path.of("/usr/share"), "/opt/share"), Mount.readWrite(Path.of("/var/tmp/work"), "/workspace/out"));
    }

    @Test
    void aWallTimeFinerThanMillisecondsRoundTripsThroughIso() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.wallTime(Duration.ofNanos(1_500_001))).build();
        assertThat(field(p.toJson(), "limits", "wallTime").asText()).isEqualTo("PT0.001500001S");
        assertThat(IsolationPolicy.fromJson(p.toJson())).isEqualTo(p);
    }

    @Test
    void writeWritesEveryFieldWithNullForNoLimit() throws Exception {
        JsonNode tree = new ObjectMapper().readTree(IsolationPolicy.permissive().toJson());
        assertThat(fieldNames(tree)).containsExactly("filesystem", "network", "limits", "syscalls", "process", "environment");
        assertThat(fieldNames(tree.get("filesystem"))).containsExactly("isolated", "mounts", "hidden", "tmpfs");
        assertThat(fieldNames(tree.get("limits")))
                .containsExactly("memory", "cpus", "pids", "wallTime", "maxOutput", "fileSize", "openFiles", "disk");
        assertThat(fieldNames(tree.get("process")))
                .containsExactly("isolatePids", "uid", "noNewPrivileges", "dropCapabilities", "keepCapabilities");
        assertThat(tree.get("limits").get("memory").isNull()).isTrue();
        assertThat(tree.get("limits").get("wallTime").asText()).isEqualTo("10m");
        assertThat(tree.get("limits").get("maxOutput").asText()).isEqualTo("16m");
        assertThat(tree.get("limits").get("disk").isNull()).isTrue();
        assertThat(tree.get("process").get("uid").isNull()).isTrue();
        assertThat(tree.get("network").asText()).isEqualTo("host");
        assertThat(tree.get("syscalls").get("denied").isArray()).isTrue();

        JsonNode strict = new ObjectMapper().readTree(IsolationPolicy.strict().toJson());
        assertThat(strict.get("limits").get("memory").asText()).isEqualTo("512m");
        assertThat(strict.get("limits").get("cpus").asDouble()).isEqualTo(1.0);
        assertThat(strict.get("limits").get("disk").asText()).isEqualTo("1g");
        assertThat(strict.get("process").get("uid").isNull()).as("strict's uid: the sandbox's own user").isTrue();
        assertThat(strict.get("syscalls").get("denied").asText()).isEqualTo("default");
        assertThat(strict.get("syscalls").get("action").asText()).isEqualTo("errno");
    }

    @Test
    void anEmptyObjectIsTheStrictPreset() {
        assertThat(IsolationPolicy.fromJson("{}")).isEqualTo(IsolationPolicy.strict());
        assertThat(IsolationPolicy.fromJson("{\"preset\": \"permissive\"}")).isEqualTo(IsolationPolicy.permissive());
    }

    @Test
    void fieldsLeftOutKeepThePresetsValuesFieldByField() {
        IsolationPolicy p = IsolationPolicy.fromJson("""
                {"preset": "standard", "limits": {"memory": "1g"}, "process": {"uid": 1000}}
                """);
        IsolationPolicy standard = IsolationPolicy.standard();
        assertThat(p.limits()).isEqualTo(standard.limits().toBuilder().memory(DataSize.ofGiB(1)).build());
        assertThat(p.process()).isEqualTo(new ProcessPolicy(true, OptionalInt.of(1000), true, true, Set.of()));
        assertThat(p.network()).isEqualTo(NetworkPolicy.loopback());
        assertThat(p.filesystem()).isEqualTo(standard.filesystem());
        assertThat(p.syscalls()).isEqualTo(standard.syscalls());
        assertThat(p.environment()).isEqualTo(standard.environment());
    }

    @Test
    void aGivenListReplacesThePresetsList() {
        IsolationPolicy p = IsolationPolicy.fromJson("""
                {"filesystem": {"tmpfs": ["/scratch"], "mounts": [{"host": "/usr/lib"}]},
                 "syscalls": {"denied": ["ptrace"]}, "environment": {"variables": {"ONLY": "1"}}}
                """);
        assertThat(p.filesystem().tmpfs()).containsExactly("/scratch");
        assertThat(p.filesystem().mounts()).containsExactly(Mount.readOnly(Path.of("/usr/lib"), "/usr/lib"));
        assertThat(p.syscalls()).isEqualTo(new SyscallPolicy(Set.of("ptrace"), SyscallPolicy.Action.ERRNO));
        assertThat(p.environment().variables()).isEqualTo(Map.of("ONLY", "1"));
    }

    @Test
    void explicitNullMeansNoLimit() {
        IsolationPolicy p = IsolationPolicy.fromJson("""
                {"limits": {"memory": null, "cpus": null, "pids": null, "fileSize": null, "openFiles": null},
                 "process": {"uid": null}}
                """);
        assertThat(p.limits().memory()).isEmpty();
        assertThat(p.limits().cpus()).isEqualTo(OptionalDouble.empty());
        assertThat(p.limits().pids()).isEqualTo(OptionalInt.empty());
        assertThat(p.limits().fileSize()).isEmpty();
        assertThat(p.limits().openFiles()).isEqualTo(OptionalInt.empty());
        assertThat(p.limits().wallTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.process().uid()).isEqualTo(OptionalInt.empty());
    }

    @Test
    void sizesAreStringsOrWholeNumbersOfBytes() {
        IsolationPolicy p = IsolationPolicy.fromJson("""
                {"limits": {"memory": 536870912, "fileSize": "64KiB", "maxOutput": "100", "cpus": 2, "wallTime": "PT1M"}}
                """);
        assertThat(p.limits().memory()).isEqualTo(Optional.of(DataSize.ofMiB(512)));
        assertThat(p.limits().fileSize()).isEqualTo(Optional.of(DataSize.ofKiB(64)));
        assertThat(p.limits().maxOutput()).isEqualTo(DataSize.ofBytes(100));
        assertThat(p.limits().cpus()).isEqualTo(OptionalDouble.of(2));
        assertThat(p.limits().wallTime()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void enumValuesAndTheDefaultProfileAreRead() {
        IsolationPolicy p = IsolationPolicy.fromJson("""
                {"preset": "permissive", "network": "LOOPBACK", "syscalls": {"denied": "default", "action": "kill"}}
                """);
        assertThat(p.network()).isEqualTo(NetworkPolicy.loopback());
        assertThat(p.syscalls()).isEqualTo(new SyscallPolicy(SyscallPolicy.DEFAULT_DENIED, SyscallPolicy.Action.KILL));
    }

    static Stream<Arguments> unknownFields() {
        return Stream.of(
                Arguments.of("{\"netwrk\": \"none\"}", "netwrk", "the policy: preset, filesystem, network, limits, syscalls, process, environment"),
                Arguments.of("{\"filesystem\": {\"isolatd\": true}}", "filesystem.isolatd", "filesystem: isolated, mounts, hidden, tmpfs"),
                Arguments.of("{\"filesystem\": {\"mounts\": [{\"host\": \"/usr\"}, {\"hots\": \"/usr\"}]}}",
                        "filesystem.mounts[1].hots", "a mount: host, sandbox, writable"),
                Arguments.of("{\"limits\": {\"memry\": \"1g\"}}", "limits.memry",
                        "limits: memory, cpus, pids, wallTime, maxOutput, fileSize, openFiles, disk"),
                Arguments.of("{\"syscalls\": {\"deny\": []}}", "syscalls.deny", "syscalls: denied, action"),
                Arguments.of("{\"process\": {\"user\": 0}}", "process.user",
                        "process: isolatePids, uid, noNewPrivileges, dropCapabilities, keepCapabilities"),
                Arguments.of("{\"environment\": {\"vars\": {}}}", "environment.vars", "environment: variables, inherit"));
    }

    @ParameterizedTest
    @MethodSource("unknownFields")
    void unknownFieldsAreRejectedWithTheirPathAtEveryLevel(String json, String path, String known) {
        assertThatThrownBy(() -> IsolationPolicy.fromJson(json))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("policy JSON: unknown field '" + path + "'; known fields of " + known);
    }

    static Stream<Arguments> wrongTypes() {
        return Stream.of(
                Arguments.of("{\"limits\": {\"pids\": \"many\"}}", "limits.pids: expected a whole number or null (no limit), got the string \"many\""),
                Arguments.of("{\"limits\": {\"pids\": 1.5}}", "limits.pids: expected a whole number or null (no limit), got the number 1.5"),
                Arguments.of("{\"limits\": {\"cpus\": \"2\"}}", "limits.cpus: expected a number (e.g. 1.5) or null (no limit), got the string \"2\""),
                Arguments.of("{\"limits\": {\"memory\": true}}", "limits.memory: expected a size such as \"512m\", \"1g\" or a whole number of bytes, got the boolean true"),
                Arguments.of("{\"limits\": {\"wallTime\": 30}}", "limits.wallTime: expected a duration such as \"500ms\", \"30s\", \"2m\" or \"PT30S\", got the number 30"),
                Arguments.of("{\"limits\": {\"wallTime\": null}}", "limits.wallTime: expected a duration such as \"500ms\", \"30s\", \"2m\" or \"PT30S\", got null"),
                Arguments.of("{\"limits\": {\"maxOutput\": null}}", "limits.maxOutput: expected a size such as \"512m\", \"1g\" or a whole number of bytes, got null"),
                Arguments.of("{\"limits\": []}", "limits: expected an object with fields memory, cpus, pids, wallTime, maxOutput, fileSize, openFiles, disk, got an array"),
                Arguments.of("{\"filesystem\": {\"isolated\": \"yes\"}}", "filesystem.isolated: expected true or false, got the string \"yes\""),
                Arguments.of("{\"filesystem\": {\"mounts\": {}}}", "filesystem.mounts: expected an array of mounts"),
                Arguments.of("{\"filesystem\": {\"mounts\": [\"/usr\"]}}", "filesystem.mounts[0]: expected an object with fields host, sandbox, writable, got the string \"/usr\""),
                Arguments.of("{\"filesystem\": {\"hidden\": [\"/a\", 7]}}", "filesystem.hidden[1]: expected a string, got the number 7"),
                Arguments.of("{\"network\": 5}", "network: expected one of none, loopback, host, got the number 5"),
                Arguments.of("{\"process\": {\"uid\": 1.5}}", "process.uid: expected a whole number or null (the sandbox's own user), got the number 1.5"),
                Arguments.of("{\"process\": {\"keepCapabilities\": \"CAP_CHOWN\"}}", "process.keepCapabilities: expected an array of strings, got the string \"CAP_CHOWN\""),
                Arguments.of("{\"syscalls\": {\"denied\": \"all\"}}", "syscalls.denied: expected \"default\" (the default profile) or an array of system-call names"),
                Arguments.of("{\"environment\": {\"variables\": {\"FOO\": 1}}}", "environment.variables.FOO: expected a string, got the number 1"),
                Arguments.of("[]", "expected an object with fields preset, filesystem, network, limits, syscalls, process, environment, got an array"),
                Arguments.of("null", "expected an object with fields preset, filesystem, network, limits, syscalls, process, environment, got null"));
    }

    @ParameterizedTest
    @MethodSource("wrongTypes")
    void wrongTypesNameThePathAndTheExpectedType(String json, String message) {
        assertThatThrownBy(() -> IsolationPolicy.fromJson(json))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: " + message);
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("{\"filesystem\": {\"mounts\": [{\"host\": \"relative/dir\"}]}}",
                        "filesystem.mounts[0].host: host path 'relative/dir' is relative; give an absolute path"),
                Arguments.of("{\"filesystem\": {\"mounts\": [{\"host\": \"/usr/../etc\"}]}}",
                        "filesystem.mounts[0].host: host path '/usr/../etc' has a '..' segment"),
                Arguments.of("{\"filesystem\": {\"mounts\": [{\"host\": \"/usr\\u0000x\"}]}}",
                        "filesystem.mounts[0].host: '/usr?x' contains a NUL byte"),
                Arguments.of("{\"filesystem\": {\"mounts\": [{\"host\": \"/usr\", \"sandbox\": \"usr\"}]}}",
                        "filesystem.mounts[0].sandbox: 'usr' is relative"),
                Arguments.of("{\"filesystem\": {\"mounts\": [{\"host\": \"/usr\", \"sandbox\": \"/a/../b\"}]}}",
                        "filesystem.mounts[0].sandbox: '/a/../b' has an empty, '.' or '..' segment"),
                Arguments.of("{\"filesystem\": {\"hidden\": [\"/ok\", \"/etc/../root\"]}}",
                        "filesystem.hidden[1]: '/etc/../root' has an empty, '.' or '..' segment"),
                Arguments.of("{\"filesystem\": {\"tmpfs\": [\"tmp\"]}}", "filesystem.tmpfs[0]: 'tmp' is relative"),
                Arguments.of("{\"filesystem\": {\"tmpfs\": [\"/tmp\\u0000\"]}}", "filesystem.tmpfs[0]: '/tmp?' contains a NUL byte"),
                Arguments.of("{\"preset\": \"permissive\", \"filesystem\": {\"tmpfs\": [\"/tmp\"]}}",
                        "filesystem: mounts, hidden and tmpfs paths need an isolated view, but isolated is false"),
                Arguments.of("{\"limits\": {\"memory\": \"1m\"}}", "limits.memory: 1m is below 4m"),
                Arguments.of("{\"limits\": {\"memory\": \"lots\"}}", "limits.memory: DataSize.parse: 'lots' is not a size"),
                Arguments.of("{\"limits\": {\"memory\": -1}}", "limits.memory: DataSize: -1 bytes is negative"),
                Arguments.of("{\"limits\": {\"memory\": \"99999999999t\"}}", "limits.memory: DataSize.parse: '99999999999t' is too large"),
                Arguments.of("{\"limits\": {\"memory\": 99999999999999999999}}", "limits.memory: 99999999999999999999 bytes is too large"),
                Arguments.of("{\"limits\": {\"pids\": 0}}", "limits.pids: 0 must be at least 1"),
                Arguments.of("{\"limits\": {\"pids\": -5}}", "limits.pids: -5 must be at least 1"),
                Arguments.of("{\"limits\": {\"pids\": 99999999999}}", "limits.pids: 99999999999 is too large"),
                Arguments.of("{\"limits\": {\"cpus\": 0}}", "limits.cpus: 0.0 must be more than 0"),
                Arguments.of("{\"limits\": {\"openFiles\": 2}}", "limits.openFiles: 2 must be at least 3"),
                Arguments.of("{\"limits\": {\"wallTime\": \"0s\"}}", "limits.wallTime: PT0S must be a positive duration"),
                Arguments.of("{\"limits\": {\"wallTime\": \"-5s\"}}", "limits.wallTime: Durations.parse: '-5s' is not a duration"),
                Arguments.of("{\"network\": \"internet\"}", "network: 'internet' is not one of none, loopback, host"),
                Arguments.of("{\"preset\": \"lax\"}", "preset: 'lax' is not a preset; use strict, standard or permissive"),
                Arguments.of("{\"syscalls\": {\"denied\": [\"ptrace\", \"Mount!\"]}}", "syscalls.denied: 'Mount!' is not a system-call name"),
                Arguments.of("{\"syscalls\": {\"action\": \"log\"}}", "syscalls.action: 'log' is not one of errno, kill"),
                Arguments.of("{\"process\": {\"uid\": -1}}", "process.uid: -1 is negative"),
                Arguments.of("{\"process\": {\"dropCapabilities\": false, \"keepCapabilities\": [\"CAP_CHOWN\"]}}",
                        "process.keepCapabilities: only means something when dropCapabilities is true"),
                Arguments.of("{\"process\": {\"keepCapabilities\": [\"NET_ADMIN\"]}}", "process.keepCapabilities: 'NET_ADMIN' is not a capability name"),
                Arguments.of("{\"environment\": {\"variables\": {\"1BAD\": \"x\"}}}", "environment.variables: '1BAD' is not a valid environment variable name"),
                Arguments.of("{\"environment\": {\"inherit\": [\"A-B\"]}}", "environment.inherit: 'A-B' is not a valid environment variable name"));
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void badValuesGiveTheRecordsMessageWithThePath(String json, String message) {
        assertThatThrownBy(() -> IsolationPolicy.fromJson(json))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: " + message);
    }

    @Test
    void malformedJsonNamesLineAndColumn() {
        assertThatThrownBy(() -> IsolationPolicy.fromJson("{\n  \"limits\": {\n    \"memory\": ,\n  }\n}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: malformed JSON at line 3, column ")
                .hasMessageContaining("Unexpected character (','");
        assertThatThrownBy(() -> IsolationPolicy.fromJson("{\"network\": \"none\""))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: malformed JSON at line 1, column ");
        assertThatThrownBy(() -> IsolationPolicy.fromJson("{\"network\": \"none\"} // host"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: malformed JSON at line 1, column ");
    }

    @Test
    void duplicateKeysAreRejected() {
        assertThatThrownBy(() -> IsolationPolicy.fromJson("{\"limits\": {\"memory\": \"1g\", \"memory\": null}}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: malformed JSON at line 1, column ")
                .hasMessageContaining("uplicate")
                .hasMessageContaining("memory");
        assertThatThrownBy(() -> IsolationPolicy.fromJson("{\"network\": \"none\", \"network\": \"host\"}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("uplicate")
                .hasMessageContaining("network");
    }

    @Test
    void trailingContentAndEmptyTextAreRejected() {
        assertThatThrownBy(() -> IsolationPolicy.fromJson("{} {\"network\": \"host\"}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: malformed JSON at line 1, column ")
                .hasMessageEndingWith(": more content after the end of the policy object; give exactly one JSON object");
        assertThatThrownBy(() -> IsolationPolicy.fromJson("  "))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("policy JSON: the text is empty; give a JSON object such as {\"preset\": \"strict\"}");
        assertThatThrownBy(() -> IsolationPolicy.fromJson(null))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: no text given");
    }

    @Test
    void aDurationTooLargeForJavaIsInvalidInput() {
        assertThatThrownBy(() -> IsolationPolicy.fromJson("{\"limits\": {\"wallTime\": \"9999999999999999h\"}}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: limits.wallTime: ")
                .hasMessageContaining("'9999999999999999h'")
                .hasMessageContaining("too large");
    }

    @Test
    void aMountWithoutSandboxPathUsesTheNormalisedHostPath() {
        IsolationPolicy p = IsolationPolicy.fromJson("{\"filesystem\": {\"mounts\": [{\"host\": \"/usr/./lib/\"}]}}");
        assertThat(p.filesystem().mounts()).containsExactly(Mount.readOnly(Path.of("/usr/lib"), "/usr/lib"));
    }

    @Test
    void variablesAreWrittenInNameOrder() throws Exception {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder()
                .environment(EnvironmentPolicy.defaults().with("ZED", "1").with("ALPHA", "2")).build();
        JsonNode vars = new ObjectMapper().readTree(p.toJson()).get("environment").get("variables");
        assertThat(fieldNames(vars)).containsExactly("ALPHA", "HOME", "LANG", "PATH", "TERM", "ZED");
    }

    @Test
    void aMountNeedsAHostPath() {
        assertThatThrownBy(() -> IsolationPolicy.fromJson("{\"filesystem\": {\"mounts\": [{\"sandbox\": \"/data\"}]}}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("policy JSON: filesystem.mounts[0]: no host path given");
    }

    @Test
    void readWriteMountsAndNormalisedPathsAreRead() {
        IsolationPolicy p = IsolationPolicy.fromJson("""
                {"filesystem": {"mounts": [{"host": "/var/tmp/", "sandbox": "/data/", "writable": true}], "hidden": ["/etc/shadow"]}}
                """);
        assertThat(p.filesystem().mounts()).containsExactly(Mount.readWrite(Path.of("/var/tmp"), "/data"));
        assertThat(p.filesystem().hidden()).isEqualTo(List.of("/etc/shadow"));
        assertThat(p.filesystem().tmpfs()).isEqualTo(List.of("/tmp", "/var/tmp"));
    }

    private static JsonNode field(String json, String part, String name) {
        try {
            return new ObjectMapper().readTree(json).get(part).get(name);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> fieldNames(JsonNode n) {
        return n.properties().stream().map(Map.Entry::getKey).toList();
    }
}
