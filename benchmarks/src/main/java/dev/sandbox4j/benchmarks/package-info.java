/**
 * JMH benchmarks of every sandbox4j backend found on the class path, against the host (a bare
 * {@code ProcessBuilder}) and the engines' own CLIs, plus the idle-memory probe and the report renderer
 * that {@code benchmarks/run.sh} drives. Not an API: nothing here is meant to be called by users.
 */
package dev.sandbox4j.benchmarks;
