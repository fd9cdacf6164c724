#ifndef XEN_KEYHANDLER_H
#define XEN_KEYHANDLER_H
void handle_keypress(unsigned char key);
#endif
