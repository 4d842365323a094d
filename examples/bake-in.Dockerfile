# rollcall baked into your own image: any glibc-based image (Debian, Ubuntu, RHEL, CUDA, PyTorch), no Node.
#   docker build -f docker/Dockerfile -t rollcall:0.1.0 .        # once, from this repository
#   docker build -f examples/bake-in.Dockerfile -t my-trainer .   # your image
# For a Node workload, the npm package is the other way: `npm install rollcall` and `await waitForPeers()`.
FROM rollcall:0.1.0 AS rollcall

FROM python:3.12-slim
COPY --from=rollcall /opt/rollcall/ /rollcall/
ENTRYPOINT ["/rollcall/rollcall", "--"]
CMD ["python", "-c", "import os; print('rank', os.environ['RANK'], 'of', os.environ['WORLD_SIZE'])"]
