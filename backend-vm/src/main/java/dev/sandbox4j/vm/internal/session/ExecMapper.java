package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SyscallPolicy;
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

    public static ExecRequest map(ProcessRequest req, IsolationPolicy policy, boolean stdinEmpty) {
        ProcessPolicy p = policy.process();
        SyscallPolicy s = policy.syscalls();
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : req.env().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        OptionalLong fsize = policy.limits().fileSize().map(d -> OptionalLong.of(d.bytes())).orElse(OptionalLong.empty());
        OptionalLong nofile = policy.limits().openFiles().isPresent()
                ? OptionalLong.of(policy.limits().openFiles().getAsInt()) : OptionalLong.empty();
        // the wall-clock timeout is the core's (ProcessRequest carries none): it sends KILL when it expires
        return new ExecRequest(p.noNewPrivileges(), p.dropCapabilities(), stdinEmpty,
                p.uid().isPresent() ? OptionalInt.of(p.uid().getAsInt()) : OptionalInt.empty(),
                p.dropCapabilities() ? CapabilityBits.mask(p.keepCapabilities()) : 0, Duration.ZERO, fsize, nofile,
                s.action() == SyscallPolicy.Action.KILL, SyscallTable.numbers(s.denied()), req.workdir(), req.argv(), env);
    }
}
