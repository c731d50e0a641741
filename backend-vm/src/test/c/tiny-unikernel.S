/*
 * The tests' unikernel: a freestanding PVH kernel (QEMU jumps to _start in 32-bit protected mode, paging
 * off, %ebx = the hvm_start_info). It prints "unikernel: <command line>" to COM1, then halts forever when
 * the command line holds "hang", else writes N of "exit=N" (0 when absent) to isa-debug-exit at port 0xf4,
 * which ends QEMU with status (N << 1) | 1.
 */
        .code32
        .section .text
        .globl _start
_start:
        cli
        mov     $stack_top, %esp
        mov     %ebx, %esi
        mov     $banner, %edx
        call    puts
        mov     24(%esi), %edi          /* hvm_start_info.cmdline_paddr, low half */
        test    %edi, %edi
        jz      1f
        mov     %edi, %edx
        call    puts
1:      mov     $'\n', %al
        call    putc
        xor     %ebx, %ebx
        test    %edi, %edi
        jz      done
scan:   movb    (%edi), %al
        test    %al, %al
        jz      done
        cmpl    $0x676e6168, (%edi)     /* "hang" */
        je      hang
        cmpl    $0x74697865, (%edi)     /* "exit" */
        jne     next
        cmpb    $'=', 4(%edi)
        jne     next
        lea     5(%edi), %ecx
digit:  movzbl  (%ecx), %eax
        sub     $'0', %eax
        cmp     $9, %eax
        ja      done
        imul    $10, %ebx, %ebx
        add     %eax, %ebx
        inc     %ecx
        jmp     digit
next:   inc     %edi
        jmp     scan
done:   mov     %bl, %al
        out     %al, $0xf4
hang:   cli
        hlt
        jmp     hang

putc:   push    %edx
        push    %eax
        mov     $0x3fd, %dx
2:      in      %dx, %al
        test    $0x20, %al
        jz      2b
        pop     %eax
        mov     $0x3f8, %dx
        out     %al, %dx
        pop     %edx
        ret

puts:   mov     %edx, %ecx
3:      movb    (%ecx), %al
        test    %al, %al
        jz      4f
        call    putc
        inc     %ecx
        jmp     3b
4:      ret

        .section .rodata
banner: .asciz  "unikernel: "

        .section .note.Xen, "a", @note
        .align  4
        .long   4                       /* name size: "Xen\0" */
        .long   4                       /* descriptor size */
        .long   18                      /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz  "Xen"
        .align  4
        .long   _start
        .align  4

        .section .bss
        .align  16
        .space  4096
stack_top:
