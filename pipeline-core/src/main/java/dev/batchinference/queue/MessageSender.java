package dev.batchinference.queue;

import java.util.List;

/** Sends messages to one queue; all of them, or an exception. */
public interface MessageSender {
    void send(List<String> bodies);

    default void send(String body) {
        send(List.of(body));
    }
}
