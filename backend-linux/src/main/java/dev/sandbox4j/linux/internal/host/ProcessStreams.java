package dev.sandbox4j.linux.internal.host;

import dev.sandbox4j.spi.SandboxProcess;
import java.io.InputStream;
import java.io.OutputStream;

/** A sandbox exec whose standard streams are those of the host process that runs it. Thread-safe. */
public abstract class ProcessStreams implements SandboxProcess {
    /** The launcher (or engine) process of the exec. */
    protected final Process process;

    protected ProcessStreams(Process process) {
        this.process = process;
    }

    @Override
    public OutputStream stdin() {
        return process.getOutputStream();
    }

    @Override
    public InputStream stdout() {
        return process.getInputStream();
    }

    @Override
    public InputStream stderr() {
        return process.getErrorStream();
    }
}
