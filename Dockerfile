# The commsbench image for running shards on Kubernetes (commsbench kube).
# Build and push it yourself:
#   docker build -t registry.example/commsbench:v1 --build-arg VERSION=v1 .
# Stage 1 builds a static binary; stage 2 holds only it, on distroless
# (CA certificates, a non-root user, no shell).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/commsbench/commsbench/cmd/cli.version=${VERSION} -X github.com/commsbench/commsbench/cmd/cli.commit=${COMMIT}" \
      -o /out/commsbench ./cmd/commsbench

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/commsbench /commsbench
USER nonroot:nonroot
ENTRYPOINT ["/commsbench"]
