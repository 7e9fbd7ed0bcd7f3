package dev.batchinference.local.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class ExternalEndpointTest {

    @Test
    void oneUrlServesBothServicesWithTheCredentialsEmulatorsAccept() {
        ExternalEndpoint endpoint = ExternalEndpoint.parse(" http://127.0.0.1:4566 ", "PIPELINE_TEST_ENDPOINT");

        assertThat(endpoint.s3()).isEqualTo(URI.create("http://127.0.0.1:4566"));
        assertThat(endpoint.sqs()).isEqualTo(endpoint.s3());
        assertThat(endpoint.region()).isEqualTo("us-east-1");
        assertThat(endpoint.shared()).isTrue();
        assertThat(endpoint.notifiesNatively()).isTrue();
        assertThat(endpoint).hasToString("http://127.0.0.1:4566");
    }

    @Test
    void aValueThatIsNoHttpUrlIsRefusedNamingTheSetting() {
        assertThatThrownBy(() -> ExternalEndpoint.parse("localhost:4566", "PIPELINE_TEST_ENDPOINT"))
                .hasMessageContaining("PIPELINE_TEST_ENDPOINT").hasMessageContaining("http(s) URL");
        assertThatThrownBy(() -> ExternalEndpoint.parse("http://exa mple", "-Dpipeline.test.endpoint"))
                .hasMessageContaining("-Dpipeline.test.endpoint");
    }

    @Test
    void itsTextNeverShowsTheSecret() {
        ExternalEndpoint endpoint = new ExternalEndpoint(URI.create("http://s3.local"), URI.create("http://sqs.local"),
                "eu-west-3", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

        assertThat(endpoint.toString()).isEqualTo("S3 http://s3.local, SQS http://sqs.local").doesNotContain("wJalr");
    }
}
