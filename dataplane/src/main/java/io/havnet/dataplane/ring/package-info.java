/**
 * Fixed-size rings of {@code int} handles (mbufs, mempool elements), after DPDK's
 * {@code rte_ring}: one class per concurrency contract — {@link io.havnet.dataplane.ring.SpscRing},
 * {@link io.havnet.dataplane.ring.MpscRing}, {@link io.havnet.dataplane.ring.SpmcRing},
 * {@link io.havnet.dataplane.ring.MpmcRing} — with bulk (all {@code n} or none) and burst
 * (as many as fit, up to {@code n}) operations.
 *
 * <h2>Ordering argument</h2>
 * A ring has a producer pair (head, tail) and a consumer pair (head, tail), all free-running
 * 32-bit counters (they wrap; differences are taken in {@code int} arithmetic, so a capacity of
 * at most 2^30 keeps them exact). Slot {@code i} is the int at
 * {@code base + 4 * (i & mask)}, off the heap.
 * <ol>
 *   <li>A producer first <em>reserves</em> {@code [head, head+n)}: single producers just advance
 *       their private head, multi producers CAS {@code prodHead}. Free space is computed against
 *       {@code consTail} read with <b>acquire</b>, so the consumer's reads of those slots
 *       happen-before our writes to them.</li>
 *   <li>It writes the slots with plain stores, then <em>publishes</em> them by storing
 *       {@code prodTail = head+n} with <b>release</b>. Multi producers first wait until
 *       {@code prodTail == head} (earlier reservations published), as DPDK does: tails advance
 *       in reservation order.</li>
 *   <li>A consumer mirrors this: it reads {@code prodTail} with <b>acquire</b> (so the slot
 *       writes are visible), reserves via its head, reads the slots, and publishes
 *       {@code consTail} with <b>release</b>.</li>
 * </ol>
 * Every side keeps a copy of the other side's tail and refreshes it only when the ring looks
 * full (or empty), so in steady state a burst touches no cache line that the other core writes,
 * except the slots themselves. A single producer's or consumer's copy is its own; multi producers
 * share one copy (next to {@code prodHead}), multi consumers another (next to {@code consHead}).
 * A copy holds a value the tail had, and tails only advance, so a copy can only understate the
 * room (or the handles) there is: a stale copy costs a refresh, never a slot (a shared copy that
 * shows more than the ring holds — written late by a thread stopped for 2^31 handles — is
 * refreshed as well). Shared copies are
 * written with <b>release</b> after the acquire read of the tail and read with <b>acquire</b>,
 * so the happens-before edge from the other side's tail reaches the producer (or consumer) that
 * uses another's copy. (DPDK's {@code rte_ring} reads the other side's tail on every call; on a
 * machine whose cores trade a line in ~140 ns that read is most of a single-handle call.)
 *
 * <h2>Layout</h2>
 * Producer fields, consumer fields and the immutable fields sit on separate 128-byte padded
 * blocks (class-hierarchy padding, as JCTools does) so the producer's and consumer's cores never
 * false-share a line; {@code RingLayoutTest} checks the offsets. The slots are off the heap,
 * slot 0 on a 64-byte line, so a burst of 32 handles fills exactly two lines and no line holds
 * handles of two bursts (see {@code Ring#mem}).
 *
 * <h2>Demoting filled lines</h2>
 * With {@link io.havnet.dataplane.ring.Ring#F_DEMOTE} every enqueue demotes the slot lines whose
 * last slot it wrote (CLDEMOTE). A hint: it moves where a line is cached, never its contents or
 * the order of any access, so the argument above is unchanged. A demoting ring is one of the
 * {@code DemotingRings}, classes of their own whose enqueues demote: the JIT then compiles the
 * demote into them and nothing of it into the plain rings, whatever the profile of the ring
 * methods all rings share says.
 *
 * <h2>Progress</h2>
 * Like {@code rte_ring}, the multi-producer/consumer variants are not lock-free: a thread
 * preempted between reserve and publish delays the others' publication. Waiters spin with
 * {@link java.lang.Thread#onSpinWait()} and yield after a while, so oversubscribed cores still
 * make progress.
 */
package io.havnet.dataplane.ring;
