"""Document 003's chat client, as the document writes it (it is Python 3;
its syntax error `print("接收 : %s", % ...)` is fixed).

Usage: python3 chat_client.py [HOST [PORT]] (defaults 127.0.0.1 9999).
"""
import socket
import sys

#创建一个 socket 对象
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 9999
#连接服务端
client.connect((host, port))

while True:
    send_msg = input("发送: ")
    #设置退出条件
    if send_msg == "q":
        break
    send_msg = send_msg
    #发送数据, 编码
    client.send(send_msg.encode("utf-8"))
    #接收服务端返回的数据
    msg = client.recv(1024)
    #解码
    print("接收 : %s" % msg.decode("utf-8"))
#关闭客户端
client.close()
