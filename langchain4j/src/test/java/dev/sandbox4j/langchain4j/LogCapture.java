package dev.sandbox4j.langchain4j;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what one logger publishes. The tests bind SLF4J to java.util.logging (slf4j-jdk14), so what the
 * module logs through SLF4J arrives here as JUL records: ERROR as SEVERE, WARN as WARNING, DEBUG as FINE.
 */
final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private LogCapture(String name) {
        // a strong reference: JUL holds its loggers weakly, and a collected one would lose this handler
        this.logger = Logger.getLogger(name);
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    static LogCapture of(String name) {
        return new LogCapture(name);
    }

    /** The records at {@code level} or above. */
    List<LogRecord> atLeast(Level level) {
        return records.stream().filter(r -> r.getLevel().intValue() >= level.intValue()).toList();
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
