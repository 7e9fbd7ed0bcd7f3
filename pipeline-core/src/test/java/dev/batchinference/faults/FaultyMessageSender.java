package dev.batchinference.faults;

import dev.batchinference.queue.MessageSender;
import java.util.List;

/** A worker's results sender that dies just before or just after sending, where a {@link FaultPlan} says. */
public final class FaultyMessageSender implements MessageSender {
    private final MessageSender sender;
    private final FaultPlan plan;

    public FaultyMessageSender(MessageSender sender, FaultPlan plan) {
        this.sender = sender;
        this.plan = plan;
    }

    @Override
    public void send(List<String> bodies) {
        if (plan.strikes(Fault.BEFORE_CHUNK_DONE)) {
            throw new FaultPlan.InjectedFault(Fault.BEFORE_CHUNK_DONE);
        }
        sender.send(bodies);
        if (plan.strikes(Fault.AFTER_CHUNK_DONE)) {
            throw new FaultPlan.InjectedFault(Fault.AFTER_CHUNK_DONE);
        }
    }
}
