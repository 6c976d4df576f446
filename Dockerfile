# Build a static binary, then run it as a non-root user on a bare image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/switchboard ./cmd/switchboard

FROM gcr.io/distroless/static-debian12:nonroot
# time/tzdata is embedded in the binary: agents' IANA zones work without /usr/share/zoneinfo.
COPY --from=build /out/switchboard /switchboard
COPY config/example.yaml /etc/switchboard/config.yaml
USER nonroot:nonroot
EXPOSE 8080
ENV SWITCHBOARD_CONFIG=/etc/switchboard/config.yaml
ENTRYPOINT ["/switchboard"]
CMD ["serve"]
