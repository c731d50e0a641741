package dev.sandbox4j.container.internal.session;

import dev.sandbox4j.container.internal.engine.EngineClient;
import dev.sandbox4j.container.internal.engine.EngineException;
import dev.sandbox4j.container.internal.engine.ExecAttach;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates execs in one container and attaches to them: {@code exec create} through docker-java, then
 * {@code exec start} on a raw connection ({@link ExecAttach}). Thread-safe.
 */
final class ExecRunner {
    private final EngineClient client;
    private final String containerId;
    private final String user;

    /** What an internal script produced. */
    record Outcome(int exitCode, String stdout, String stderr) {
    }

    ExecRunner(EngineClient client, String containerId, String user) {
        this.client = client;
        this.containerId = containerId;
        this.user = user;
    }

    /** Starts a user command (already wrapped); its first stderr line carries its pid. */
    ContainerProcess start(List<String> argv, Map<String, String> env, String workdir, String tag, ContainerSession session) {
        String execId = create(argv, env, workdir);
        try {
            ExecAttach attach = ExecAttach.start(client.endpoint(), execId, true, "sandbox4j-exec-" + tag);
            return new ContainerProcess(session, execId, attach, tag);
        } catch (IOException e) {
            throw client.failure("starting exec " + argv, e);
        }
    }

    /** Reads {@code in} to its end on a daemon thread, dropping what it reads. */
    static void drainInBackground(InputStream in, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (in) {
                while (in.read(buf) >= 0) {
                    // dropped
                }
            } catch (IOException ignored) {
                // ended
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    /** Runs an internal script to its end, within {@code max}; stdin is empty. */
    Outcome runToEnd(List<String> argv, Map<String, String> env, String workdir, Duration max, String tag) {
        String execId = create(argv, env, workdir);
        ExecAttach attach;
        try {
            attach = ExecAttach.start(client.endpoint(), execId, false, tag);
        } catch (IOException e) {
            throw client.failure("starting exec " + argv, e);
        }
        try {
            attach.stdin().close();
        } catch (IOException ignored) {
            // our stdin end never throws on close
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = new Thread(() -> drain(attach.stderr(), err), tag + "-err");
        errReader.setDaemon(true);
        errReader.start();
        drain(attach.stdout(), out);
        try {
            attach.ended().get(max.toMillis(), TimeUnit.MILLISECONDS);
            errReader.join(max.toMillis());
        } catch (TimeoutException e) {
            attach.abort();
            throw new EngineException(client.engineName() + ": exec " + argv.get(0) + " in " + containerId
                    + " did not end within " + max.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            attach.abort();
            throw new EngineException("interrupted while running " + argv);
        } catch (java.util.concurrent.ExecutionException e) {
            throw client.failure("running " + argv, e.getCause());
        }
        int code = exitCode(execId, max);
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The exit code of a finished exec, polling briefly while the engine still marks it running. */
    int exitCode(String execId, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        long sleep = 2;
        while (true) {
            var r = inspect(execId);
            if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) {
                return r.getExitCodeLong().intValue();
            }
            if (System.nanoTime() > deadline) {
                throw new EngineException(client.engineName() + ": exec " + execId + " still marked running after its streams ended");
            }
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EngineException("interrupted while waiting for exec " + execId);
            }
            sleep = Math.min(sleep * 2, 100);
        }
    }

    com.github.dockerjava.api.command.InspectExecResponse inspect(String execId) {
        try {
            return client.api().inspectExecCmd(execId).exec();
        } catch (RuntimeException e) {
            throw client.failure("reading the state of exec " + execId, e);
        }
    }

    private String create(List<String> argv, Map<String, String> env, String workdir) {
        List<String> envList = new ArrayList<>();
        env.forEach((k, v) -> envList.add(k + "=" + v));
        try {
            var cmd = client.api().execCreateCmd(containerId).withCmd(argv.toArray(String[]::new)).withEnv(envList)
                    .withWorkingDir(workdir).withAttachStdin(true).withAttachStdout(true).withAttachStderr(true)
                    .withTty(false);
            if (!user.isEmpty()) {
                cmd.withUser(user);
            }
            return cmd.exec().getId();
        } catch (RuntimeException e) {
            throw client.failure("creating an exec in container " + containerId, e);
        }
    }

    private static void drain(InputStream in, ByteArrayOutputStream to) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (to.size() < 1024 * 1024) {
                    to.write(buf, 0, n);
                }
            }
        } catch (IOException ignored) {
            // the stream ended under us: what we have is what there is
        }
    }
}
