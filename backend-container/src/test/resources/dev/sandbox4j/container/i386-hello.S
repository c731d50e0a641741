/*
 * A 32-bit x86 program of two system calls, write(1, "hello from i386\n") and exit(0), through int 0x80
 * (no C library): built by the tests with gcc -m32 -nostdlib -static. In a container whose seccomp profile
 * lists the native ABI alone, its first call kills it (SIGSYS, exit 159) and it prints nothing.
 */
    .globl _start
    .text
_start:
    movl $4, %eax
    movl $1, %ebx
    movl $msg, %ecx
    movl $len, %edx
    int $0x80
    movl $1, %eax
    xorl %ebx, %ebx
    int $0x80

    .data
msg:
    .ascii "hello from i386\n"
    len = . - msg
