# syntax=docker/dockerfile:1
# The Postern image: build the shaded jar with Maven on JDK 25, run it on a Temurin 25 JRE as a
# non-root user. The Helm chart (helm/postern) runs it with a read-only root file system: every
# writable path is a volume (/var/lib/postern/queue, /var/lib/postern/spool, /tmp).
#
#   docker build -t postern/postern:0.1.0 .
#   docker run --rm -v "$PWD/postern.yaml:/etc/postern/postern.yaml:ro" -p 25:2525 postern/postern:0.1.0

ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-25
ARG RUNTIME_IMAGE=eclipse-temurin:25-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# The poms first, so that a code change does not download the dependencies again.
COPY pom.xml ./
COPY directory-schema/pom.xml directory-schema/
COPY gateway/pom.xml gateway/
COPY it/pom.xml it/
COPY .mvn .mvn
COPY directory-schema directory-schema
COPY gateway gateway
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -q -pl gateway -am -DskipTests package \
 && cp gateway/target/postern.jar /postern.jar

FROM ${RUNTIME_IMAGE}
ARG UID=10001
RUN groupadd --system --gid ${UID} postern \
 && useradd --system --uid ${UID} --gid postern --home-dir /var/lib/postern --no-create-home \
            --shell /usr/sbin/nologin postern \
 && mkdir -p /etc/postern /var/lib/postern/queue /var/lib/postern/spool /var/lib/postern/tls \
 && chown -R postern:postern /var/lib/postern
COPY --from=build /postern.jar /opt/postern/postern.jar
COPY scripts/lib/jvm-options.sh /opt/postern/jvm-options.sh
LABEL org.opencontainers.image.title="Postern" \
      org.opencontainers.image.description="LDAP-backed mail gateway: SMTP, submission, LMTP, POP3"
USER ${UID}:${UID}
WORKDIR /var/lib/postern
# Unprivileged ports: smtp, submission, submissions, lmtp, pop3, pop3s, admin (metrics, health).
EXPOSE 2525 2587 2465 2424 2110 2995 9925
VOLUME ["/var/lib/postern/queue", "/var/lib/postern/spool"]
# The same JVM flags as the ./postern launcher, from one file (scripts/lib/jvm-options.sh): G1,
# heap at half the memory limit, a cap on direct memory, processors from POSTERN_CPU_REQUEST;
# POSTERN_JAVA_OPTIONS is appended. umask 077: anything the JVM creates without an explicit mode
# is the postern user's only (queue and spool files set theirs anyway; see docs/security.md).
# No HEALTHCHECK: Kubernetes ignores it and probes /healthz and /readyz on the admin port itself.
ENTRYPOINT ["/bin/sh", "-c", ". /opt/postern/jvm-options.sh && umask 077 && exec java $(postern_jvm_options) -jar /opt/postern/postern.jar \"$@\"", "postern"]
CMD ["serve", "--config", "/etc/postern/postern.yaml"]
