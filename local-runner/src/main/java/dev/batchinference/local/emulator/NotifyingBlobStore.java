package dev.batchinference.local.emulator;

import java.io.InputStream;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * S3Proxy's store, telling a listener of every object created through it (a PUT, a copy, a completed
 * multipart upload), whichever client created it: S3Proxy has no bucket notifications, and this is where
 * the embedded S3 gets them. The listener runs before S3Proxy answers the request.
 */
final class NotifyingBlobStore extends ForwardingBlobStore {
    private volatile ObjectCreatedListener listener = ObjectCreatedListener.NONE;

    NotifyingBlobStore(BlobStore delegate) {
        super(delegate);
    }

    void listener(ObjectCreatedListener listener) {
        this.listener = listener;
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
        PutObjectResponse response = super.putBlob(request, content);
        listener.created(request.bucket(), request.key());
        return response;
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        CopyObjectResponse response = super.copyBlob(request);
        listener.created(request.destinationBucket(), request.destinationKey());
        return response;
    }

    @Override
    public CompleteMultipartUploadResponse completeMultipartUpload(MultipartUpload upload,
                                                                   CompleteMultipartUploadRequest request) {
        CompleteMultipartUploadResponse response = super.completeMultipartUpload(upload, request);
        listener.created(upload.containerName(), upload.blobName());
        return response;
    }
}
