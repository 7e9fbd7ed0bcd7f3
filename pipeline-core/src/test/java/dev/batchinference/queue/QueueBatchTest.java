package dev.batchinference.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QueueBatchTest {

    @Test
    void onlyTheMessagesThatFailedOrThrewComeBackAndEveryMessageIsHandled() {
        List<String> handled = new ArrayList<>();
        List<QueueMessage> batch = List.of(new QueueMessage("m1", "ok"), new QueueMessage("m2", "busy"),
                new QueueMessage("m3", "throws"), new QueueMessage("m4", "ok"));

        QueueBatch.Result result = QueueBatch.process(batch, message -> {
            handled.add(message.id());
            return switch (message.body()) {
                case "busy" -> Optional.of(new QueueBatch.ItemFailure(message.id()));
                case "throws" -> throw new IllegalStateException("row content must not reach the line");
                default -> Optional.empty();
            };
        });

        assertThat(handled).containsExactly("m1", "m2", "m3", "m4");
        assertThat(result.messages()).isEqualTo(4);
        assertThat(result.failures()).extracting(QueueBatch.ItemFailure::messageId).containsExactly("m2", "m3");
        assertThat(result.errors()).containsExactly("IllegalStateException");
    }
}
