/* A function too small for a jump (2 bytes) and one that starts with ENDBR64 and is 8 bytes. */
    .text
    .globl tiny_function
    .type tiny_function, @function
tiny_function:
    xor %eax, %eax
    ret
    .size tiny_function, . - tiny_function

    .globl endbr_function
    .type endbr_function, @function
endbr_function:
    endbr64
    mov $1, %eax
    ret
    .size endbr_function, . - endbr_function

    .globl endbr_big_function
    .type endbr_big_function, @function
endbr_big_function:
    endbr64
    mov $1, %eax
    add $2, %eax
    ret
    .size endbr_big_function, . - endbr_big_function
    .section .note.GNU-stack,"",@progbits
