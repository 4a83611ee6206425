package dev.docmesh.bench;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a ghz config without ghz: known keys and schedules, {@code call} resolved through server
 * reflection (or the config's protoset), {@code data} rendered like ghz renders it and parsed into
 * the request message with protobuf JSON, {@code metadata} rendered.
 */
final class GhzConfigCheck {
  /** ghz's config keys (runner.Config of ghz 0.120). */
  static final Set<String> KEYS =
      Set.of(
          "proto",
          "protoset",
          "call",
          "cacert",
          "cert",
          "key",
          "skipTLS",
          "skipFirst",
          "cname",
          "authority",
          "insecure",
          "total",
          "async",
          "concurrency",
          "concurrency-schedule",
          "concurrency-start",
          "concurrency-end",
          "concurrency-step",
          "concurrency-step-duration",
          "concurrency-max-duration",
          "connections",
          "rps",
          "duration",
          "duration-stop",
          "max-duration",
          "timeout",
          "data",
          "data-file",
          "binary-file",
          "metadata",
          "metadata-file",
          "stream-interval",
          "output",
          "format",
          "connect-timeout",
          "keepalive",
          "cpus",
          "import-paths",
          "name",
          "tags",
          "reflect-metadata",
          "debug",
          "host",
          "enable-compression",
          "load-schedule",
          "load-start",
          "load-end",
          "load-step",
          "load-step-duration",
          "load-max-duration",
          "lb-strategy",
          "stream-call-duration",
          "stream-call-count",
          "stream-dynamic-messages",
          "count-errors");

  private static final Pattern GO_DURATION =
      Pattern.compile("([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+");
  private static final Pattern TEMPLATE = Pattern.compile("\\{\\{\\s*(.*?)\\s*\\}\\}");

  /** The usual port of each service, as the configs name their hosts. */
  static final Map<Integer, String> SERVICE_BY_PORT =
      Map.of(50051, "orchestrator", 50052, "processor", 50053, "worker", 50054, "monitor");

  /** A config ready to send: the method and one rendered request. */
  record Checked(
      String file,
      MethodDescriptor method,
      DynamicMessage request,
      Map<String, String> metadata,
      String service) {}

  private GhzConfigCheck() {}

  /**
   * @param channels the running service of each name ("orchestrator", ...)
   * @param substitutions placeholders run.sh fills in, e.g. {@code @JOB_ID@}
   */
  static Checked check(
      Path file, Map<String, ManagedChannel> channels, Map<String, String> substitutions) {
    return check(file, channels, substitutions, false);
  }

  /**
   * @param tls whether the mesh serves mutual TLS: then the config must name existing {@code
   *     cacert}, {@code cert} and {@code key} files and not be {@code insecure}
   */
  static Checked check(
      Path file,
      Map<String, ManagedChannel> channels,
      Map<String, String> substitutions,
      boolean tls) {
    String where = file.getFileName().toString();
    JsonObject c;
    try {
      c = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(where + ": not a JSON object: " + e.getMessage(), e);
    }
    for (String k : c.keySet()) {
      require(KEYS.contains(k), where, "unknown ghz option '" + k + "'");
    }
    require(c.has("call"), where, "no 'call'");
    require(c.has("host"), where, "no 'host'");
    checkSchedule(c, where);
    checkTransport(c, where, tls);
    String service = serviceOf(c.get("host").getAsString(), where);
    String call = c.get("call").getAsString();
    int cut = Math.max(call.lastIndexOf('/'), call.lastIndexOf('.'));
    require(cut > 0, where, "call '" + call + "' is not package.Service.Method");
    String serviceName = call.substring(0, cut);
    String methodName = call.substring(cut + 1);
    ServiceDescriptor sd;
    if (c.has("protoset")) {
      Path protoset = file.getParent().resolve(c.get("protoset").getAsString()).normalize();
      require(
          Files.isRegularFile(protoset),
          where,
          "protoset " + protoset + " does not exist (build proto/ first)");
      sd = fromProtoset(protoset, serviceName);
    } else {
      ManagedChannel ch = channels.get(service);
      require(ch != null, where, "no running " + service);
      sd = fromReflection(ch, serviceName);
    }
    require(
        sd != null,
        where,
        "service "
            + serviceName
            + " not found "
            + (c.has("protoset") ? "in the protoset" : "through reflection"));
    MethodDescriptor md = sd.findMethodByName(methodName);
    require(md != null, where, "method " + methodName + " not found in " + serviceName);
    require(!md.isClientStreaming(), where, "client-streaming calls are not covered here");

    Map<String, Object> ctx = templateContext(md, 0);
    String data = c.has("data") ? new Gson().toJson(c.get("data")) : "{}";
    for (Map.Entry<String, String> s : substitutions.entrySet()) {
      data = data.replace(s.getKey(), s.getValue());
    }
    String rendered = render(data, ctx, where + " data");
    DynamicMessage.Builder b = DynamicMessage.newBuilder(md.getInputType());
    try {
      JsonFormat.parser().merge(rendered, b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          where
              + ": data does not parse into "
              + md.getInputType().getFullName()
              + ": "
              + e.getMessage(),
          e);
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    if (c.has("metadata")) {
      for (Map.Entry<String, JsonElement> m : c.getAsJsonObject("metadata").entrySet()) {
        metadata.put(
            m.getKey(), render(m.getValue().getAsString(), ctx, where + " metadata " + m.getKey()));
      }
    }
    return new Checked(where, md, b.build(), metadata, service);
  }

  private static void checkSchedule(JsonObject c, String where) {
    for (String k :
        List.of(
            "duration",
            "max-duration",
            "timeout",
            "load-step-duration",
            "load-max-duration",
            "concurrency-step-duration",
            "concurrency-max-duration",
            "connect-timeout",
            "keepalive",
            "stream-interval",
            "stream-call-duration")) {
      if (c.has(k)) {
        require(
            GO_DURATION.matcher(c.get(k).getAsString()).matches(),
            where,
            k + " '" + c.get(k).getAsString() + "' is not a Go duration (e.g. 20s, 500ms)");
      }
    }
    String schedule = c.has("load-schedule") ? c.get("load-schedule").getAsString() : "const";
    require(
        Set.of("const", "step", "line").contains(schedule),
        where,
        "load-schedule must be const, step or line");
    if (!schedule.equals("const")) {
      require(
          c.has("load-start") && c.get("load-start").getAsInt() > 0,
          where,
          schedule + " schedule needs load-start > 0");
      require(c.has("load-step"), where, schedule + " schedule needs load-step");
      require(
          c.has("load-end") || c.has("load-max-duration"),
          where,
          schedule + " schedule needs load-end or load-max-duration");
      if (schedule.equals("step")) {
        require(c.has("load-step-duration"), where, "step schedule needs load-step-duration");
      }
      require(!c.has("rps"), where, "rps is for the const schedule only");
    }
    if (c.has("lb-strategy")) {
      require(
          Set.of("pick_first", "round_robin").contains(c.get("lb-strategy").getAsString()),
          where,
          "lb-strategy must be pick_first or round_robin");
      require(
          c.get("host").getAsString().startsWith("dns:///"),
          where,
          "lb-strategy needs a dns:/// host to balance over");
    }
    int concurrency = c.has("concurrency") ? c.get("concurrency").getAsInt() : 50;
    int connections = c.has("connections") ? c.get("connections").getAsInt() : 1;
    require(
        connections >= 1 && connections <= concurrency,
        where,
        "connections must be 1..concurrency");
  }

  private static void checkTransport(JsonObject c, String where, boolean tls) {
    boolean insecure = c.has("insecure") && c.get("insecure").getAsBoolean();
    if (!tls) {
      require(insecure, where, "the mesh serves plaintext: set insecure");
      return;
    }
    require(!insecure, where, "the mesh serves TLS: insecure must go");
    for (String k : List.of("cacert", "cert", "key")) {
      require(
          c.has(k) && Files.isRegularFile(Path.of(c.get(k).getAsString())),
          where,
          "'" + k + "' names no file (mutual TLS needs cacert, cert and key)");
    }
  }

  static String serviceOf(String host, String where) {
    Matcher m = Pattern.compile("(?:dns:///)?[^:]+:(\\d+)").matcher(host);
    require(m.matches(), where, "host '" + host + "' is not [dns:///]name:port");
    String s = SERVICE_BY_PORT.get(Integer.parseInt(m.group(1)));
    require(
        s != null,
        where,
        "host port " + m.group(1) + " is none of the services' ports " + SERVICE_BY_PORT.keySet());
    return s;
  }

  /** The template data ghz gives each request (github.com/bojand/ghz runner/calldata.go). */
  static Map<String, Object> templateContext(MethodDescriptor md, long requestNumber) {
    Map<String, Object> m = new HashMap<>();
    Instant now = Instant.now();
    m.put(".RequestNumber", requestNumber);
    m.put(".FullyQualifiedName", md.getFullName());
    m.put(".MethodName", md.getName());
    m.put(".ServiceName", md.getService().getName());
    m.put(".InputName", md.getInputType().getName());
    m.put(".OutputName", md.getOutputType().getName());
    m.put(".IsClientStreaming", md.isClientStreaming());
    m.put(".IsServerStreaming", md.isServerStreaming());
    m.put(".Timestamp", now.toString());
    m.put(".TimestampUnix", now.getEpochSecond());
    m.put(".TimestampUnixMilli", now.toEpochMilli());
    m.put(".TimestampUnixNano", now.getEpochSecond() * 1_000_000_000L + now.getNano());
    m.put(".UUID", UUID.randomUUID().toString());
    return m;
  }

  /**
   * Renders the template actions ghz's configs use; anything else is an error, as ghz would fail at
   * run time.
   */
  static String render(String text, Map<String, Object> ctx, String where) {
    Matcher m = TEMPLATE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String[] words = m.group(1).trim().split("\\s+");
      String value;
      if (ctx.containsKey(words[0]) && words.length == 1) {
        value = String.valueOf(ctx.get(words[0]));
      } else if (words[0].equals("newUUID") && words.length == 1) {
        value = UUID.randomUUID().toString();
      } else if (words[0].equals("randomString") && words.length == 2 && words[1].matches("\\d+")) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Integer.parseInt(words[1]); i++) {
          sb.append((char) ('a' + ThreadLocalRandom.current().nextInt(26)));
        }
        value = sb.toString();
      } else if (words[0].equals("randomInt")
          && words.length == 3
          && words[1].matches("-?\\d+")
          && words[2].matches("-?\\d+")) {
        value =
            Long.toString(
                ThreadLocalRandom.current()
                    .nextLong(Long.parseLong(words[1]), Long.parseLong(words[2])));
      } else {
        throw new IllegalArgumentException(
            where + ": unknown template action {{" + m.group(1) + "}}");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    String s = out.toString();
    require(!s.contains("{{") && !s.contains("}}"), where, "unbalanced template braces");
    return s;
  }

  // ---- descriptors

  static ServiceDescriptor fromProtoset(Path protoset, String serviceName) {
    try (InputStream in = Files.newInputStream(protoset)) {
      return build(FileDescriptorSet.parseFrom(in).getFileList(), serviceName);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Asks the server's reflection service for the file defining the service and every file it
   * imports.
   */
  static ServiceDescriptor fromReflection(ManagedChannel ch, String serviceName) {
    Map<String, FileDescriptorProto> files = new LinkedHashMap<>();
    List<ServerReflectionRequest> pending =
        new ArrayList<>(
            List.of(
                ServerReflectionRequest.newBuilder().setFileContainingSymbol(serviceName).build()));
    while (!pending.isEmpty()) {
      ServerReflectionResponse r = reflect(ch, pending.remove(0));
      if (r.hasErrorResponse()) {
        return null;
      }
      for (var bytes : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
        try {
          FileDescriptorProto fd = FileDescriptorProto.parseFrom(bytes);
          if (files.putIfAbsent(fd.getName(), fd) == null) {
            for (String dep : fd.getDependencyList()) {
              if (!files.containsKey(dep)) {
                pending.add(ServerReflectionRequest.newBuilder().setFileByFilename(dep).build());
              }
            }
          }
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return build(new ArrayList<>(files.values()), serviceName);
  }

  private static ServerReflectionResponse reflect(ManagedChannel ch, ServerReflectionRequest req) {
    CompletableFuture<ServerReflectionResponse> f = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> out =
        ServerReflectionGrpc.newStub(ch)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    f.complete(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    f.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    out.onNext(req);
    out.onCompleted();
    try {
      return f.get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("reflection failed: " + e.getMessage(), e);
    }
  }

  private static ServiceDescriptor build(List<FileDescriptorProto> protos, String serviceName) {
    Map<String, FileDescriptorProto> byName = new HashMap<>();
    protos.forEach(p -> byName.put(p.getName(), p));
    Map<String, FileDescriptor> built = new HashMap<>();
    for (FileDescriptorProto p : protos) {
      FileDescriptor fd = buildFile(p.getName(), byName, built);
      for (ServiceDescriptor s : fd.getServices()) {
        if (s.getFullName().equals(serviceName)) {
          return s;
        }
      }
    }
    return null;
  }

  private static FileDescriptor buildFile(
      String name, Map<String, FileDescriptorProto> byName, Map<String, FileDescriptor> built) {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto p = byName.get(name);
    if (p == null) {
      throw new IllegalStateException("descriptor of " + name + " is missing");
    }
    List<FileDescriptor> deps = new ArrayList<>();
    for (String d : p.getDependencyList()) {
      deps.add(buildFile(d, byName, built));
    }
    try {
      FileDescriptor fd = FileDescriptor.buildFrom(p, deps.toArray(new FileDescriptor[0]));
      built.put(name, fd);
      return fd;
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A marshaller of dynamic messages of one type, to send a checked request over a real channel.
   */
  static io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> grpcMethod(MethodDescriptor md) {
    return io.grpc.MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
        .setType(
            md.isServerStreaming()
                ? io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING
                : io.grpc.MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(
            io.grpc.MethodDescriptor.generateFullMethodName(
                md.getService().getFullName(), md.getName()))
        .setRequestMarshaller(marshaller(md.getInputType()))
        .setResponseMarshaller(marshaller(md.getOutputType()))
        .build();
  }

  private static io.grpc.MethodDescriptor.Marshaller<DynamicMessage> marshaller(Descriptor type) {
    return new io.grpc.MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(DynamicMessage value) {
        return new ByteArrayInputStream(value.toByteArray());
      }

      @Override
      public DynamicMessage parse(InputStream stream) {
        try {
          return DynamicMessage.parseFrom(type, stream);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  private static void require(boolean ok, String where, String what) {
    if (!ok) {
      throw new IllegalArgumentException(where + ": " + what);
    }
  }
}
