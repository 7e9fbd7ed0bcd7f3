package dev.batchinference.queue;

import java.util.ArrayList;
import java.util.List;

/** A {@link MessageSender} that keeps what it was given, for tests and for the offline path. */
public final class InMemoryMessageSender implements MessageSender {
    private final List<String> sent = new ArrayList<>();

    @Override
    public synchronized void send(List<String> bodies) {
        sent.addAll(bodies);
    }

    public synchronized List<String> sent() {
        return List.copyOf(sent);
    }

    public synchronized List<String> drain() {
        List<String> copy = List.copyOf(sent);
        sent.clear();
        return copy;
    }
}
