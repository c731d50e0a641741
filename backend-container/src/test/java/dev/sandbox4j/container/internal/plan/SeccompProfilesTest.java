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
}
