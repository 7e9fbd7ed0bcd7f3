package dev.batchinference.local.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The cold-start floor, run in a fresh JVM: load ONNX Runtime, create a session for the model (one
 * intra-op thread, as the worker's), predict one batch, report. Nothing of the pipeline is loaded.
 * Arguments: the ONNX file, the batch's rows, the name of the probabilities output.
 */
public final class ColdStartFloor {
    private ColdStartFloor() {
    }

    public static void main(String[] args) throws Exception {
        String onnxFile = args[0];
        int rows = Integer.parseInt(args[1]);
        String output = args[2];
        OrtEnvironment env = dev.batchinference.model.OnnxEnvironment.get();
        OrtSession session;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(onnxFile, options);
        }
        String input = session.getInputNames().iterator().next();
        int features = (int) ((TensorInfo) session.getInputInfo().get(input).getInfo()).getShape()[1];
        FloatBuffer batch = ByteBuffer.allocateDirect(rows * features * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < rows * features; i++) {
            batch.put(i, (i % 97) / 97f);
        }
        float[][] probabilities;
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, batch, new long[] {rows, features});
             OrtSession.Result result = session.run(Map.of(input, tensor))) {
            probabilities = (float[][]) result.get(output).orElseThrow().getValue();
        }
        System.out.println(ChildJvm.REPORT + " " + probabilities.length);
        System.out.flush();
    }
}
