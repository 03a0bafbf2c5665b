"""Document 000's TCP server, ported to Python 3 (bytes on the wire).

Usage: python3 tcp_server.py [HOST [PORT [TIMEOUT]]] (defaults 127.0.0.1 8001 10).
"""
import socket
import sys

if __name__ == '__main__':
    HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8001
    TIMEOUT = float(sys.argv[3]) if len(sys.argv) > 3 else 10

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # 创建 Socket 连接(TCP)
    print('Socket Created')

    try:
        sock.bind((HOST, PORT))  # 配置 Socket,绑定 IP 地址和端口号
    except socket.error as e:
        print('Bind Failed...', e)
        sys.exit(0)

    sock.listen(5)  # 设置最大允许连接数,各连接和 Server 的通信遵循 FIFO 原则

    while True:  # 循环轮询 Socket 状态,等待访问
        conn, addr = sock.accept()
        try:
            conn.settimeout(TIMEOUT)  # 如果请求超过 10 秒没有完成,就终止操作

            while True:  # 获得一个连接,然后开始循环处理这个连接发送的信息
                data = conn.recv(1024)
                print('Get value ' + data.decode(), end='\n\n')
                if not data:
                    print('Exit Server', end='\n\n')
                    break
                conn.sendall(b'OK')  # 返回数据
        except socket.timeout:  # 建立连接后,该连接在设定的时间内没有数据发来,就会引发超时
            print('Time out')

        conn.close()  # 当一个连接监听循环退出后,连接可以关掉
    sock.close()
