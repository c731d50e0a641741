package dev.sandbox4j.container.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.SyscallRule;
import dev.sandbox4j.spi.SyscallTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The engine profile generated from the one syscall table, on the engine default allowlist. */
class SeccompProfilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<JsonNode> rules(String profile) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(profile).path("syscalls").forEach(out::add);
        return out;
    }

    private static List<JsonNode> rulesNaming(String profile, String name) throws Exception {
        return rules(profile).stream().filter(r -> {
            for (JsonNode n : r.path("names")) {
                if (n.asText().equals(name)) {
                    return true;
                }
            }
            return false;
        }).toList();
    }

    @Test
    void everyTableRuleIsInTheProfileFirstAndNoBaseRuleNamesItsCalls() throws Exception {
        IsolationPolicy strict = IsolationPolicy.strict();
        List<SyscallRule> table = SyscallTable.forSandbox(strict);
        String profile = SeccompProfiles.forSandbox(strict);
        assertThat(JSON.readTree(profile).path("defaultAction").asText()).as("the engine's allowlist stays the base")
                .isEqualTo("SCMP_ACT_ERRNO");
        Set<String> baseAllows = SeccompProfiles.allowedWithoutCapabilities(JSON.readTree(
                SeccompProfiles.class.getResourceAsStream("engine-default-seccomp.json")));
        List<SyscallRule> expected = table.stream()
                .filter(r -> r.verdict() != SyscallRule.Verdict.ALLOW || baseAllows.contains(r.name())).toList();
        List<JsonNode> all = rules(profile);
        Set<String> tabled = new HashSet<>();
        table.forEach(r -> tabled.add(r.name()));
        for (int i = 0; i < all.size(); i++) {
            JsonNode r = all.get(i);
            if (i < expected.size()) {
                assertThat(r.path("names").size()).isEqualTo(1);
                assertThat(r.path("names").get(0).asText()).as("rule %d", i).isEqualTo(expected.get(i).name());
                assertThat(r.path("comment").asText()).startsWith("sandbox4j: ");
            } else {
                r.path("names").forEach(n -> assertThat(tabled).as("base rule %s", r).doesNotContain(n.asText()));
            }
        }
    }

    @Test
    void theSetIdGuardIsMaskedTestsWithEperm() throws Exception {
        String profile = SeccompProfiles.forSandbox(IsolationPolicy.strict());
        List<JsonNode> chmod = rulesNaming(profile, "chmod");
        assertThat(chmod).hasSize(3);
        assertThat(chmod.get(0).path("action").asText()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(chmod.get(0).path("errnoRet").asInt()).as("EPERM").isEqualTo(1);
        JsonNode arg = chmod.get(0).path("args").get(0);
        assertThat(arg.path("index").asInt()).isEqualTo(1);
        assertThat(arg.path("op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
        assertThat(arg.path("value").asLong()).as("the mask").isEqualTo(04000);
        assertThat(arg.path("valueTwo").asLong()).as("the value").isEqualTo(04000);
        JsonNode allow = chmod.get(2);
        assertThat(allow.path("action").asText()).isEqualTo("SCMP_ACT_ALLOW");
        assertThat(allow.path("args").get(0).path("value").asLong()).isEqualTo(06000);
        assertThat(allow.path("args").get(0).path("valueTwo").asLong()).isZero();
        // open: the flags and the mode ANDed in one rule, on two arguments
        JsonNode open = rulesNaming(profile, "open").get(0);
        assertThat(open.path("args")).hasSize(2);
        assertThat(open.path("args").get(0).path("index").asInt()).isEqualTo(1);
        assertThat(open.path("args").get(1).path("index").asInt()).isEqualTo(2);
    }

    @Test
    void anAllowComplementOnlyForANameTheBaseAllowed() throws Exception {
        String profile = SeccompProfiles.forSandbox(IsolationPolicy.strict());
        // fchmodat2 is newer than the base, which refuses it (ENOSYS): the guard's denials, no ALLOW
        assertThat(rulesNaming(profile, "fchmodat2")).isNotEmpty()
                .allSatisfy(r -> assertThat(r.path("action").asText()).isEqualTo("SCMP_ACT_ERRNO"));
        // clone: the base allowed it; the policy denies unshare, so namespace flags are refused
        List<JsonNode> clone = rulesNaming(profile, "clone");
        assertThat(clone).hasSize(SyscallTable.CLONE_NAMESPACE_FLAGS.size() + 1);
        assertThat(clone.get(clone.size() - 1).path("action").asText()).isEqualTo("SCMP_ACT_ALLOW");
        assertThat(rulesNaming(profile, "clone3")).singleElement()
                .satisfies(r -> assertThat(r.path("errnoRet").asInt()).as("ENOSYS").isEqualTo(38));
        // io_uring: not in the base; denied by the policy (EPERM), never allowed
        assertThat(rulesNaming(profile, "io_uring_setup")).singleElement()
                .satisfies(r -> assertThat(r.path("errnoRet").asInt()).isEqualTo(1));
        assertThat(SeccompProfiles.allowedWithoutCapabilities(profile)).contains("read", "write", "clone", "execve", "chmod")
                .doesNotContain("unshare", "mount", "ptrace", "io_uring_setup", "clone3", "openat2");
    }

    @Test
    void withoutAPolicyFilterTheGuardAndTheNetworkRulesStay() throws Exception {
        IsolationPolicy open = IsolationPolicy.strict().toBuilder().syscalls(SyscallPolicy.allowAll()).build();
        String profile = SeccompProfiles.forSandbox(open);
        assertThat(rulesNaming(profile, "chmod")).hasSize(3);
        assertThat(rulesNaming(profile, "io_uring_setup")).singleElement()
                .satisfies(r -> assertThat(r.path("errnoRet").asInt()).as("ENOSYS without a policy").isEqualTo(38));
        JsonNode vsock = rulesNaming(profile, "socket").get(0);
        assertThat(vsock.path("errnoRet").asInt()).isEqualTo(1);
        // an int: the low 32 bits are compared, so socket(0x1_0000_0028) is AF_VSOCK too
        assertThat(vsock.path("args").get(0).path("op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
        assertThat(vsock.path("args").get(0).path("value").asLong()).as("the mask").isEqualTo(0xffffffffL);
        assertThat(vsock.path("args").get(0).path("valueTwo").asLong()).isEqualTo(SyscallTable.AF_VSOCK);
        assertThat(rulesNaming(profile, "socket")).as("the denial and its 32 single-bit ALLOW complements").hasSize(33);
        assertThat(rulesNaming(profile, "socketcall").get(0).path("args").get(0).path("valueTwo").asLong())
                .as("i386 socketcall(SYS_SOCKET)").isEqualTo(SyscallTable.SYS_SOCKET);
        assertThat(rulesNaming(profile, "clone")).as("no clone rule of the table: the base's").singleElement()
                .satisfies(r -> assertThat(r.path("names").size()).isGreaterThan(1));
        // the host's network: no vsock rule, the base's socket rules as they were
        String host = SeccompProfiles.forSandbox(open.toBuilder().network(NetworkPolicy.host()).build());
        assertThat(rulesNaming(host, "socket")).allSatisfy(r -> assertThat(r.path("comment").asText()).doesNotStartWith("sandbox4j"));
    }

    /**
     * An allowlist's ALLOW complements of the socket denial would be mirrored by libseccomp onto i386's
     * socketcall(SYS_SOCKET) without their family test (AF_VSOCK allowed): the profile lists the native ABI
     * alone, whatever the policy, so a compat ABI's calls are killed instead (ContainerSecurityTest runs them).
     */
    @Test
    void theProfileListsTheNativeAbiAlone() throws Exception {
        String nativeOnly = SeccompProfiles.nativeArchitecture().map(a -> "[\"" + a + "\"]").orElse("");
        for (IsolationPolicy p : List.of(IsolationPolicy.strict(), IsolationPolicy.permissive(),
                IsolationPolicy.strict().toBuilder().network(NetworkPolicy.host()).syscalls(SyscallPolicy.allowAll()).build())) {
            JsonNode profile = JSON.readTree(SeccompProfiles.forSandbox(p));
            assertThat(profile.has("archMap")).as("no archMap (its compat ABIs)").isFalse();
            assertThat(profile.path("architectures").toString()).isEqualTo(nativeOnly);
            assertThat(JSON.readTree(SeccompProfiles.forRunsc(p)).path("architectures").toString()).isEqualTo(nativeOnly);
        }
    }

    @Test
    void killActionKillsTheProcess() throws Exception {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder()
                .syscalls(new SyscallPolicy(Set.of("ptrace"), SyscallPolicy.Action.KILL)).build();
        JsonNode first = rules(SeccompProfiles.forSandbox(p)).get(0);
        assertThat(first.path("action").asText()).isEqualTo("SCMP_ACT_KILL_PROCESS");
        assertThat(first.path("names").get(0).asText()).isEqualTo("ptrace");
    }

    @Test
    void cachedProfilesAreKeyedByTheWholeRuleList() throws Exception {
        IsolationPolicy eperm = IsolationPolicy.strict().toBuilder()
                .syscalls(new SyscallPolicy(Set.of("ptrace", "mount"), SyscallPolicy.Action.ERRNO)).build();
        String first = SeccompProfiles.forSandbox(eperm);
        assertThat(SeccompProfiles.forSandbox(IsolationPolicy.strict().toBuilder()
                .syscalls(new SyscallPolicy(Set.of("ptrace", "mount"), SyscallPolicy.Action.ERRNO)).build())).isSameAs(first);
        IsolationPolicy kill = eperm.toBuilder().syscalls(new SyscallPolicy(Set.of("ptrace", "mount"), SyscallPolicy.Action.KILL)).build();
        assertThat(rules(SeccompProfiles.forSandbox(kill)).get(0).path("action").asText()).isEqualTo("SCMP_ACT_KILL_PROCESS");
        assertThat(rules(SeccompProfiles.forSandbox(eperm)).get(0).path("action").asText()).isEqualTo("SCMP_ACT_ERRNO");
        for (int i = 0; i < SeccompProfiles.CACHED * 2; i++) {
            SeccompProfiles.forSandbox(eperm.toBuilder().syscalls(new SyscallPolicy(Set.of("ptrace", "name" + i),
                    SyscallPolicy.Action.ERRNO)).build());
        }
        assertThat(SeccompProfiles.cachedCount()).isEqualTo(SeccompProfiles.CACHED);
    }

    @Test
    void twoTestsOnOneArgumentAreRefused() {
        SyscallRule twice = new SyscallRule("chmod", List.of(SyscallRule.ArgTest.bitsSet(1, 04000),
                SyscallRule.ArgTest.bitsSet(1, 02000)), SyscallRule.Verdict.ERRNO, 1, "test");
        assertThatThrownBy(() -> SeccompProfiles.forRules(List.of(twice))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tests argument 1 twice");
    }
}
