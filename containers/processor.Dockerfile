# docmesh processor-svc image: the runnable jar on a JRE 17, run as a non-root user.
# Built by scripts/images.sh from a context directory holding processor-svc.jar.
# DOCMESH_BASE_IMAGE: any JRE 17 image with java on PATH and useradd (CI passes one it makes itself).
ARG DOCMESH_BASE_IMAGE=eclipse-temurin:17-jre
FROM ${DOCMESH_BASE_IMAGE}

ARG DOCMESH_VERSION=dev
LABEL org.opencontainers.image.title="docmesh-processor" \
      org.opencontainers.image.version="${DOCMESH_VERSION}"

# uid/gid 10001 = runAsUser/runAsGroup of the Kubernetes manifests. USER is numeric so that
# runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --gid 10001 docmesh \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin docmesh

# Owned by root: the service cannot change its own code.
COPY processor-svc.jar /app/processor-svc.jar
WORKDIR /app
USER 10001:10001
# gRPC, HTTP (/metrics, /healthz)
EXPOSE 50052 9092

# The root filesystem is read-only in Kubernetes; the only writable path is /tmp (an emptyDir):
# PDFBox scratch files (DOCMESH_PDF_TEMP_DIR), native libraries the jars unpack.
# Heap from the container's memory limit; an OutOfMemoryError ends the process so the kubelet
# restarts it instead of leaving a half-working JVM. No hsperfdata (-XX:-UsePerfData): its
# sampler wakes the JVM 20 times a second, and jcmd PID works without it. JAVA_OPTS (as for
# ./docmesh) comes after these defaults, so the manifests can override them; exec keeps java as
# PID 1 for SIGTERM.
ENTRYPOINT ["/bin/sh", "-c", "exec java -XX:MaxRAMPercentage=75.0 -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData -Djava.io.tmpdir=/tmp $JAVA_OPTS -jar /app/processor-svc.jar \"$@\"", "processor"]
