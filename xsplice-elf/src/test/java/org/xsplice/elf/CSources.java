package org.xsplice.elf;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * C programs for the tests: statics, string literals, switch tables, calls between functions
 * and files, static locals, a common symbol and a weak one. {@code main} prints a result that
 * depends on all of them. {@code util} also holds a COMDAT section group (written in asm: C has no
 * syntax for one).
 */
final class CSources {
    private CSources() {
    }

    static final String FLAGS_O2 = "-O2";

    static Map<String, String> program() {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("util", """
                #include <stdio.h>
                #include <string.h>
                static int counter;
                static const char *names[] = {"zero", "one", "two", "three", "four", "five", "six"};
                int shared_total = 7;
                __attribute__((weak)) int weak_hook(int x) { return x + 1; }
                static int __attribute__((noinline)) bump(int by) { static int calls; calls++; counter += by; return calls; }
                const char *name_of(int i) { bump(1); return i >= 0 && i < 7 ? names[i] : "many"; }
                int classify(int v) {
                    switch (v) {
                    case 0: return 11; case 1: return 23; case 2: return 37; case 3: return 41;
                    case 4: return 53; case 5: return 67; case 6: return 71; case 7: return 89;
                    default: return -1;
                    }
                }
                int total(void) { return counter + shared_total; }
                __asm__(".section .text.grouped,\\"axG\\",@progbits,grouped_sig,comdat\\n"
                        ".globl grouped_sig\\n.type grouped_sig,@function\\ngrouped_sig:\\n call total\\n ret\\n"
                        ".size grouped_sig,.-grouped_sig\\n.previous\\n");
                """);
        m.put("text", """
                #include <stdio.h>
                #include <string.h>
                extern const char *name_of(int);
                extern int classify(int);
                static char buffer[256];
                static unsigned hash(const char *s) { unsigned h = 5381; while (*s) h = h * 33 + (unsigned char) *s++; return h; }
                const char *describe(int i) {
                    snprintf(buffer, sizeof buffer, "%s:%d:%u", name_of(i), classify(i), hash(name_of(i)) % 1000);
                    return buffer;
                }
                """);
        m.put("main", """
                #include <stdio.h>
                extern const char *describe(int);
                extern int total(void);
                extern int weak_hook(int);
                extern int shared_total;
                static int table[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};
                int main(void) {
                    static int seen;
                    for (int i = 0; i < 9; i++) { puts(describe(i)); seen += table[i]; }
                    shared_total += weak_hook(seen);
                    printf("total=%d seen=%d\\n", total(), seen);
                    return 0;
                }
                """);
        return m;
    }
}
