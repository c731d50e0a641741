package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.vm.internal.protocol.ExecRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Turns the core's process request and the policy into the agent's EXEC. Stateless. */
public final class ExecMapper {
    private ExecMapper() {
    }

    /**
     * @param seccomp the sandbox's program ({@link GuestFilter#forPolicy}), installed for every command
     */
    public static ExecRequest map(ProcessRequest req, IsolationPolicy policy, byte[] seccomp, boolean stdinEmpty) {
        ProcessPolicy p = policy.process();
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : req.env().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        OptionalLong fsize = policy.limits().fileSize().map(d -> OptionalLong.of(d.bytes())).orElse(OptionalLong.empty());
        OptionalLong nofile = policy.limits().openFiles().isPresent()
                ? OptionalLong.of(policy.limits().openFiles().getAsInt()) : OptionalLong.empty();
        // no uid in the policy: the sandbox's own user, NOBODY in the guest (the file servers map it to its host uid)
        int uid = p.uid().orElse(ProcessPolicy.NOBODY);
        // the wall-clock timeout is the core's (ProcessRequest carries none): it sends KILL when it expires
        return new ExecRequest(p.noNewPrivileges(), p.dropCapabilities(), stdinEmpty, OptionalInt.of(uid),
                p.dropCapabilities() ? CapabilityBits.mask(p.keepCapabilities()) : 0, Duration.ZERO, fsize, nofile,
                seccomp, req.workdir(), req.argv(), env);
    }
}
