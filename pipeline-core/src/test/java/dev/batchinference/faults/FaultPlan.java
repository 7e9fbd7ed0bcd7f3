package dev.batchinference.faults;

import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

/** Decides, from a seed, whether a fault strikes at each opportunity, and counts the faults injected. */
public final class FaultPlan {
    private final Random random;
    private final Map<Fault, Double> probability = new EnumMap<>(Fault.class);
    private final Map<Fault, Integer> injected = new EnumMap<>(Fault.class);

    public FaultPlan(long seed) {
        this.random = new Random(seed);
        // each case draws its own mix, so some cases are quiet and others stormy
        for (Fault fault : Fault.values()) {
            // a 503 here has already outlived the SDK's own retries, so it is rarer than a crash
            double ceiling = fault == Fault.S3_SLOW_DOWN ? 0.03 : 0.25;
            probability.put(fault, random.nextDouble() < 0.5 ? 0.0 : random.nextDouble() * ceiling);
        }
    }

    /** A plan under which no fault ever strikes: for a case that injects one failure of its own, every time. */
    public static FaultPlan quiet() {
        FaultPlan plan = new FaultPlan(0);
        plan.probability.replaceAll((fault, p) -> 0.0);
        return plan;
    }

    public synchronized boolean strikes(Fault fault) {
        if (random.nextDouble() < probability.get(fault)) {
            injected.merge(fault, 1, Integer::sum);
            return true;
        }
        return false;
    }

    public synchronized int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public synchronized Map<Fault, Integer> injected() {
        return new EnumMap<>(injected);
    }

    /** What the system under test sees when a fault strikes: the process or the request died. */
    public static final class InjectedFault extends RuntimeException {
        public InjectedFault(Fault fault) {
            super("injected: " + fault, null, false, false);
        }
    }
}
