package dev.batchinference.local.emulator;

import java.io.InputStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.S3Exceptions;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectAclRequest;
import software.amazon.awssdk.services.s3.model.GetObjectAclResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * S3Proxy's store, refusing keys its file-system store would read as another path. S3 keeps a key such as
 * {@code incoming/iris/../../models/iris/current.json} as it is, but S3Proxy keeps each object as a file at the
 * key's path under the bucket's folder, normalised: {@code ..} climbs out of {@code incoming/} (and could replace a
 * model pointer or another job's output), {@code .} and empty segments ({@code a//b}) name the same file as
 * another key. Such a request is answered 400 {@code InvalidArgument}, naming the key, before anything is read or
 * written; AWS's own console warns against such keys for the same reason.
 */
final class KeyCheckingBlobStore extends ForwardingBlobStore {

    KeyCheckingBlobStore(BlobStore delegate) {
        super(delegate);
    }

    /**
     * What is wrong with a key for a store that keeps objects as files, or empty when nothing is: a segment that
     * is empty, {@code .} or {@code ..} (a trailing {@code /}, which makes a folder marker, is fine), or a name
     * the file system would not keep as it is.
     */
    static Optional<String> problem(String key) {
        return problem("key", key);
    }

    private static Optional<String> problem(String what, String key) {
        if (key == null || key.isEmpty()) {
            return Optional.empty(); // S3Proxy answers these itself
        }
        String path = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return Optional.of("The " + what + " '" + key + "' has " + (segment.isEmpty() ? "an empty" : "a '" + segment + "'")
                        + " path segment, which this local S3 (S3Proxy, keeping objects as files) would read as"
                        + " another path (S3 itself keeps it as a name); use a key without empty, '.' or '..' segments");
            }
        }
        try {
            Path asFile = Path.of(path);
            List<String> names = new ArrayList<>();
            asFile.forEach(name -> names.add(name.toString()));
            if (asFile.isAbsolute() || !String.join("/", names).equals(path)) {
                return Optional.of("The " + what + " '" + key + "' is not a name this local S3 (S3Proxy) can keep as a file");
            }
        } catch (InvalidPathException e) {
            return Optional.of("The " + what + " '" + key + "' holds a character this local S3 (S3Proxy) cannot keep in a file"
                    + " name");
        }
        return Optional.empty();
    }

    /** A prefix is checked up to its last '/': the rest is the beginning of a name, which may be anything. */
    static Optional<String> prefixProblem(String prefix) {
        if (prefix == null || prefix.lastIndexOf('/') < 0) {
            return Optional.empty();
        }
        return problem("prefix", prefix.substring(0, prefix.lastIndexOf('/') + 1));
    }

    private static void check(String key) {
        Optional<String> problem = problem(key);
        if (problem.isPresent()) {
            throw S3Exceptions.invalidArgument(problem.get());
        }
    }

    private static void checkPrefix(String prefix) {
        Optional<String> problem = prefixProblem(prefix);
        if (problem.isPresent()) {
            throw S3Exceptions.invalidArgument(problem.get());
        }
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
        check(request.key());
        return super.putBlob(request, content);
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        check(request.sourceKey());
        check(request.destinationKey());
        return super.copyBlob(request);
    }

    @Override
    public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
        check(request.key());
        return super.blobMetadata(request);
    }

    @Override
    public boolean blobExists(String container, String key) {
        check(key);
        return super.blobExists(container, key);
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
        check(request.key());
        return super.getBlob(request);
    }

    @Override
    public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
        check(request.key());
        return super.removeBlob(request);
    }

    @Override
    public ObjectCannedACL getBlobAccess(String container, String key) {
        check(key);
        return super.getBlobAccess(container, key);
    }

    @Override
    public ObjectCannedACL getBlobAccess(String container, String key, String versionId) {
        check(key);
        return super.getBlobAccess(container, key, versionId);
    }

    @Override
    public GetObjectAclResponse getBlobAcl(GetObjectAclRequest request) {
        check(request.key());
        return super.getBlobAcl(request);
    }

    @Override
    public void setBlobAccess(String container, String key, ObjectCannedACL access) {
        check(key);
        super.setBlobAccess(container, key, access);
    }

    @Override
    public void setBlobAccess(String container, String key, ObjectCannedACL access, String versionId) {
        check(key);
        super.setBlobAccess(container, key, access, versionId);
    }

    @Override
    public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
        check(request.key());
        return super.initiateMultipartUpload(request);
    }

    @Override
    public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request, InputStream content) {
        check(upload.blobName());
        return super.uploadMultipartPart(upload, request, content);
    }

    @Override
    public CompleteMultipartUploadResponse completeMultipartUpload(MultipartUpload upload,
                                                                   CompleteMultipartUploadRequest request) {
        check(upload.blobName());
        return super.completeMultipartUpload(upload, request);
    }

    @Override
    public void abortMultipartUpload(MultipartUpload upload) {
        check(upload.blobName());
        super.abortMultipartUpload(upload);
    }

    @Override
    public ListObjectsV2Response list(ListObjectsV2Request request) {
        checkPrefix(request.prefix());
        return super.list(request);
    }

    @Override
    public ListObjectVersionsResponse listVersions(ListObjectVersionsRequest request) {
        checkPrefix(request.prefix());
        return super.listVersions(request);
    }
}
