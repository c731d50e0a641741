package dev.sandbox4j.container.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandbox4j.SyscallPolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeccompProfilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void deniedNamesLeaveEveryAllowRuleAndGetOneErrnoRule() throws Exception {
        SyscallPolicy policy = SyscallPolicy.defaultProfile();
        JsonNode profile = JSON.readTree(SeccompProfiles.forPolicy(policy));
        assertThat(profile.path("defaultAction").asText()).as("the engine's allowlist stays the base").isEqualTo("SCMP_ACT_ERRNO");
        List<JsonNode> rules = new ArrayList<>();
        profile.path("syscalls").forEach(rules::add);
        JsonNode last = rules.get(rules.size() - 1);
        assertThat(last.path("action").asText()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(last.path("errnoRet").asInt()).as("EPERM").isEqualTo(1);
        List<String> denied = new ArrayList<>();
        last.path("names").forEach(n -> denied.add(n.asText()));
        assertThat(denied).containsExactlyInAnyOrderElementsOf(policy.denied());
        for (JsonNode rule : rules.subList(0, rules.size() - 1)) {
            if (rule.path("action").asText().equals("SCMP_ACT_ALLOW")) {
                rule.path("names").forEach(n -> assertThat(policy.denied()).as("allowed by %s", rule).doesNotContain(n.asText()));
            }
        }
        assertThat(SeccompProfiles.allowedWithoutCapabilities(SeccompProfiles.forPolicy(policy)))
                .contains("read", "write", "clone", "execve").doesNotContain("unshare", "mount", "ptrace", "setns");
    }

    @Test
    void killActionKillsTheProcess() throws Exception {
        JsonNode profile = JSON.readTree(SeccompProfiles.forPolicy(new SyscallPolicy(java.util.Set.of("ptrace"), SyscallPolicy.Action.KILL)));
        JsonNode last = profile.path("syscalls").get(profile.path("syscalls").size() - 1);
        assertThat(last.path("action").asText()).isEqualTo("SCMP_ACT_KILL_PROCESS");
        assertThat(last.path("names").get(0).asText()).isEqualTo("ptrace");
    }

    @Test
    void cachedProfilesAreKeyedByTheWholePolicy() throws Exception {
        SyscallPolicy eperm = new SyscallPolicy(java.util.Set.of("ptrace", "mount"), SyscallPolicy.Action.ERRNO);
        SyscallPolicy kill = new SyscallPolicy(java.util.Set.of("ptrace", "mount"), SyscallPolicy.Action.KILL);
        SyscallPolicy fewer = new SyscallPolicy(java.util.Set.of("ptrace"), SyscallPolicy.Action.ERRNO);
        String first = SeccompProfiles.forPolicy(eperm);
        // the same names and action, made separately and in another order: the same (cached) profile
        assertThat(SeccompProfiles.forPolicy(new SyscallPolicy(new java.util.LinkedHashSet<>(List.of("mount", "ptrace")),
                SyscallPolicy.Action.ERRNO))).isSameAs(first);
        // another action or another set of names: never the first policy's profile
        JsonNode killRule = lastRule(SeccompProfiles.forPolicy(kill));
        assertThat(killRule.path("action").asText()).isEqualTo("SCMP_ACT_KILL_PROCESS");
        assertThat(lastRule(SeccompProfiles.forPolicy(eperm)).path("action").asText()).isEqualTo("SCMP_ACT_ERRNO");
        List<String> fewerDenied = new ArrayList<>();
        lastRule(SeccompProfiles.forPolicy(fewer)).path("names").forEach(n -> fewerDenied.add(n.asText()));
        assertThat(fewerDenied).containsExactly("ptrace");
        assertThat(allowRulesNaming(SeccompProfiles.forPolicy(fewer), "mount")).as("not denied: the base's rule stays").isPositive();
        assertThat(allowRulesNaming(SeccompProfiles.forPolicy(eperm), "mount")).as("denied: gone from every allow rule").isZero();
        // bounded: many policies never grow the cache past its size
        for (int i = 0; i < SeccompProfiles.CACHED * 2; i++) {
            SeccompProfiles.forPolicy(new SyscallPolicy(java.util.Set.of("ptrace", "name" + i), SyscallPolicy.Action.ERRNO));
        }
        assertThat(SeccompProfiles.cachedCount()).isEqualTo(SeccompProfiles.CACHED);
        assertThat(lastRule(SeccompProfiles.forPolicy(eperm)).path("names").size()).isEqualTo(2);
    }

    private static int allowRulesNaming(String profileJson, String name) throws Exception {
        int n = 0;
        for (JsonNode rule : JSON.readTree(profileJson).path("syscalls")) {
            if (rule.path("action").asText().equals("SCMP_ACT_ALLOW")) {
                for (JsonNode x : rule.path("names")) {
                    n += x.asText().equals(name) ? 1 : 0;
                }
            }
        }
        return n;
    }

    private static JsonNode lastRule(String profileJson) throws Exception {
        JsonNode rules = JSON.readTree(profileJson).path("syscalls");
        return rules.get(rules.size() - 1);
    }
}
