package dev.batchinference.aws;

import dev.batchinference.config.PipelineConfig;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the SDK clients every function uses, from configuration alone: the same code reaches AWS,
 * LocalStack, moto or the embedded emulators, differing only in endpoint and credentials.
 */
public final class AwsClients {
    private AwsClients() {
    }

    public static S3Client s3(PipelineConfig config) {
        var builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(config.region()))
                .credentialsProvider(credentials(config))
                // checksums only where S3 requires them: emulators differ in the newer trailing-checksum support
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // plain bodies, not aws-chunked: over http to S3Proxy, chunked uploads through the
                // url-connection client failed at the transport level on about one small PUT in five,
                // most of them stored anyway, so a retried conditional write met its own first attempt
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build());
        config.s3Endpoint().ifPresent(endpoint -> builder.endpointOverride(endpoint).forcePathStyle(true));
        return builder.build();
    }

    public static SqsClient sqs(PipelineConfig config) {
        var builder = SqsClient.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(config.region()))
                .credentialsProvider(credentials(config));
        config.sqsEndpoint().ifPresent(builder::endpointOverride);
        return builder.build();
    }

    private static AwsCredentialsProvider credentials(PipelineConfig config) {
        if (config.credentials().isEmpty()) {
            return DefaultCredentialsProvider.builder().build();
        }
        PipelineConfig.Credentials c = config.credentials().get();
        return StaticCredentialsProvider.create(c.sessionToken() == null
                ? AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())
                : AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken()));
    }
}
