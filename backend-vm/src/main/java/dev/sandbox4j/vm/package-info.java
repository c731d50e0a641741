/**
 * The VM backends' providers: {@link dev.sandbox4j.vm.MicrovmBackend}, {@link dev.sandbox4j.vm.QemuBackend}
 * and {@link dev.sandbox4j.vm.UnikernelBackend}. Use them through {@code Sandbox.builder().backend(name)}.
 */
package dev.sandbox4j.vm;
