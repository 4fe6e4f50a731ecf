"""protoc plugin that runs the gRPC Python generator bundled in grpcio-tools.

grpcio-tools ships the generator only inside its own protoc (``python -m grpc_tools.protoc
--grpc_python_out``), and buf's ``protoc_builtin`` knows only protoc's own generators. This
plugin bridges the two: it reads buf's CodeGeneratorRequest, hands the files to
grpc_tools.protoc through ``--descriptor_set_in`` and returns what it wrote. buf.gen.python.yaml
runs it with the interpreter of clients/python/.venv, where grpcio-tools is pinned.
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = os.path.join(tmp, "descriptors.binpb")
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        with open(descriptors, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        args = ["grpc_tools.protoc", f"--descriptor_set_in={descriptors}", f"--grpc_python_out={out}"]
        if request.parameter:
            args.append(f"--grpc_python_opt={request.parameter}")
        args.extend(request.file_to_generate)
        if protoc.main(args) != 0:
            response.error = "grpc_tools.protoc --grpc_python_out failed"
        else:
            for root, _, files in os.walk(out):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as f:
                        response.file.add(name=os.path.relpath(path, out).replace(os.sep, "/"), content=f.read())
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
