#ifndef XEN_SOFTIRQ_H
#define XEN_SOFTIRQ_H
enum { TIMER_SOFTIRQ, SCHEDULE_SOFTIRQ, NR_SOFTIRQS };
void raise_softirq(unsigned int nr);
void do_softirq(void);
#endif
