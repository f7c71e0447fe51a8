//! std::os::unix::net: a UnixListener in a scratch directory served by a
//! thread running incoming(), several clients echoing, UnixDatagram
//! send_to/recv_from, set_nonblocking, local_addr and peer_addr.

use persona_guest::{check, done, scratch_dir};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::thread;

fn main() {
    let dir = scratch_dir("unixnet");
    let path = dir.join("echo.sock");
    let listener = UnixListener::bind(&path).unwrap();
    check(
        std::fs::metadata(&path).unwrap().file_type().is_socket(),
        "bind makes a socket file",
    );
    check(
        listener.local_addr().unwrap().as_pathname() == Some(path.as_path()),
        "listener local_addr is the path",
    );
    check(
        UnixListener::bind(&path).unwrap_err().kind() == ErrorKind::AddrInUse,
        "binding the path again: AddrInUse",
    );

    const CLIENTS: usize = 4;
    let server = thread::spawn(move || {
        let mut served = 0;
        for stream in listener.incoming().take(CLIENTS) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).unwrap();
            s.write_all(&buf[..n]).unwrap();
            served += 1;
        }
        served
    });
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let p = path.clone();
        clients.push(thread::spawn(move || {
            let mut c = UnixStream::connect(&p).unwrap();
            let ok_peer = c.peer_addr().unwrap().as_pathname() == Some(p.as_path());
            let ok_local = c.local_addr().unwrap().is_unnamed();
            let msg = format!("client {}", i);
            c.write_all(msg.as_bytes()).unwrap();
            let mut back = String::new();
            c.read_to_string(&mut back).unwrap();
            ok_peer && ok_local && back == msg
        }));
    }
    let all = clients.into_iter().all(|h| h.join().unwrap());
    check(all, "four clients echoed, peer_addr the path, local_addr unnamed");
    check(server.join().unwrap() == CLIENTS, "incoming() served every client");

    let missing = dir.join("missing.sock");
    check(
        UnixStream::connect(&missing).unwrap_err().kind() == ErrorKind::NotFound,
        "connect to a missing path: NotFound",
    );
    std::fs::remove_file(&path).unwrap();
    check(
        UnixStream::connect(&path).is_err(),
        "connect after the path is removed fails",
    );

    // Nonblocking accept.
    let lpath = dir.join("nb.sock");
    let l = UnixListener::bind(&lpath).unwrap();
    l.set_nonblocking(true).unwrap();
    check(
        l.accept().unwrap_err().kind() == ErrorKind::WouldBlock,
        "nonblocking accept: WouldBlock",
    );
    let c = UnixStream::connect(&lpath).unwrap();
    let (mut a, addr) = l.accept().unwrap();
    check(addr.is_unnamed(), "accepted peer is unnamed");
    a.set_nonblocking(true).unwrap();
    let mut b = [0u8; 8];
    check(
        a.read(&mut b).unwrap_err().kind() == ErrorKind::WouldBlock,
        "nonblocking read: WouldBlock",
    );
    drop(c);
    check(a.read(&mut b).unwrap() == 0, "end of file after the client closed");

    // Datagrams.
    let dpath = dir.join("dgram.sock");
    let cpath = dir.join("client.sock");
    let server = UnixDatagram::bind(&dpath).unwrap();
    let client = UnixDatagram::bind(&cpath).unwrap();
    check(
        client.send_to(b"ping", &dpath).unwrap() == 4,
        "send_to the server path",
    );
    let mut buf = [0u8; 16];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    check(
        &buf[..n] == b"ping" && from.as_pathname() == Some(cpath.as_path()),
        "recv_from: the data and the client's path",
    );
    server.send_to(b"pong", &cpath).unwrap();
    let (n, from) = client.recv_from(&mut buf).unwrap();
    check(
        &buf[..n] == b"pong" && from.as_pathname() == Some(dpath.as_path()),
        "reply arrives from the server's path",
    );
    client.connect(&dpath).unwrap();
    client.send(b"x").unwrap();
    check(
        server.recv(&mut buf).unwrap() == 1,
        "send on a connected datagram socket",
    );
    check(
        client.peer_addr().unwrap().as_pathname() == Some(dpath.as_path()),
        "datagram peer_addr",
    );
    server.set_nonblocking(true).unwrap();
    check(
        server.recv(&mut buf).unwrap_err().kind() == ErrorKind::WouldBlock,
        "nonblocking recv: WouldBlock",
    );
    let unbound = UnixDatagram::unbound().unwrap();
    unbound.send_to(b"anon", &dpath).unwrap();
    let (n, from) = server.recv_from(&mut buf).unwrap();
    check(n == 4 && from.is_unnamed(), "an unbound sender is unnamed");

    let (x, y) = UnixStream::pair().unwrap();
    drop(x);
    check(
        y.peer_addr().map(|a| a.is_unnamed()).unwrap_or(true),
        "a pair still works beside named sockets",
    );

    drop(l);
    for p in [&lpath, &dpath, &cpath] {
        std::fs::remove_file(p).unwrap();
    }
    std::fs::remove_dir(&dir).unwrap();
    done();
}
